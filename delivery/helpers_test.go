package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/local"
)

// newMaterial is password material with characters every format must
// escape.
func newMaterial(tag string) warden.Material {
	return warden.Material{Password: `Pw'"\$` + "`" + tag + "-x9Q#:= \u00e9\U0001F511tokenTOKEN" + tag}
}

// localStore opens a local secret store in a temporary directory.
func localStore(t *testing.T) warden.SecretStore {
	t.Helper()
	kek := make([]byte, local.KEKSize)
	_, _ = rand.Read(kek)
	k, err := local.NewKEK(kek)
	if err != nil {
		t.Fatal(err)
	}
	s, err := local.Open(filepath.Join(t.TempDir(), "secrets.json"), k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logBuffer is a logger whose output the test scans for material.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// noSecrets fails the test when any secret of ms appears in text.
func noSecrets(t *testing.T, where, text string, ms ...warden.Material) {
	t.Helper()
	for _, m := range ms {
		for _, s := range m.Secrets() {
			escaped, _ := json.Marshal(s)
			if strings.Contains(text, s) || strings.Contains(text, string(escaped[1:len(escaped)-1])) {
				t.Errorf("%s contains secret material: %q", where, text)
			}
		}
	}
}

// fixedNow is a clock for records.
func fixedNow() time.Time { return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) }

var bg = context.Background()

func passwordCred() *warden.Credential {
	return &warden.Credential{Name: "billing-cred", Org: "acme", Kind: warden.CredentialPassword,
		Username: "billing@acme.demo", Secret: warden.SecretRef{Store: "local", Key: "acme/billing"}}
}
