package local_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/secret/local"
)

func TestKEKFromFile(t *testing.T) {
	raw := bytes.Repeat([]byte{0x42}, local.KEKSize)
	want, err := local.NewKEK(raw)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(raw)
	tests := []struct {
		name     string
		content  string
		mode     os.FileMode
		wantKind string
		wantMsg  string
	}{
		{"raw bytes", string(raw), 0o600, "", ""},
		{"base64", b64, 0o600, "", ""},
		{"base64 with newline", b64 + "\n", 0o400, "", ""},
		{"base64 unpadded", strings.TrimRight(b64, "="), 0o600, "", ""},
		{"group readable", b64, 0o640, warden.EINVALID, "accessible by group or others (mode 0640); restrict it with: chmod 600"},
		{"world readable", b64, 0o604, warden.EINVALID, "accessible by group or others"},
		{"too short", base64.StdEncoding.EncodeToString(raw[:16]), 0o600, warden.EINVALID, "must hold 32 raw bytes or their base64 encoding"},
		{"not base64", strings.Repeat("!", 44), 0o600, warden.EINVALID, "must hold 32 raw bytes"},
		{"empty", "", 0o600, warden.EINVALID, "must hold 32 raw bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kek")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			got, err := local.KEKFromFile(path)
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("KEKFromFile: %v", err)
				}
				if !got.Equal(want) {
					t.Errorf("KEKFromFile returned a different key")
				}
				return
			}
			if warden.ErrorKind(err) != tt.wantKind || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("KEKFromFile: %v; want %s containing %q", err, tt.wantKind, tt.wantMsg)
			}
			if err != nil && strings.Contains(err.Error(), b64[:10]) {
				t.Errorf("error reveals key material: %v", err)
			}
		})
	}
	if _, err := local.KEKFromFile(filepath.Join(t.TempDir(), "missing")); warden.ErrorKind(err) != warden.ENOTFOUND {
		t.Errorf("missing file: %v; want ENOTFOUND", err)
	}
}

func TestKEKFromEnv(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, local.KEKSize)
	t.Setenv("WARDEN_TEST_KEK", base64.StdEncoding.EncodeToString(raw))
	k, err := local.KEKFromEnv("WARDEN_TEST_KEK")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := local.NewKEK(raw); !k.Equal(want) {
		t.Errorf("KEKFromEnv returned a different key")
	}
	t.Setenv("WARDEN_TEST_KEK_BAD", "c2hvcnQ=")
	if _, err := local.KEKFromEnv("WARDEN_TEST_KEK_BAD"); warden.ErrorKind(err) != warden.EINVALID || strings.Contains(err.Error(), "c2hvcnQ") {
		t.Errorf("short key: %v; want EINVALID without the value", err)
	}
	if _, err := local.KEKFromEnv("WARDEN_TEST_KEK_UNSET_XYZ"); warden.ErrorKind(err) != warden.EINVALID || !strings.Contains(err.Error(), "not set") {
		t.Errorf("unset variable: %v", err)
	}
}

func TestGenerateKEKFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	k, err := local.GenerateKEKFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("mode %04o; want 0600", perm)
	}
	read, err := local.KEKFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !read.Equal(k) {
		t.Errorf("KEKFromFile does not read back the generated key")
	}
	if _, err := local.GenerateKEKFile(path); warden.ErrorKind(err) != warden.ECONFLICT {
		t.Errorf("second GenerateKEKFile: %v; want ECONFLICT (no overwrite)", err)
	}
	if again, _ := local.KEKFromFile(path); !again.Equal(k) {
		t.Errorf("the key file changed")
	}
}

func TestKEKNeverPrinted(t *testing.T) {
	raw := bytes.Repeat([]byte{0xAB}, local.KEKSize)
	k, _ := local.NewKEK(raw)
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		out := fmt.Sprintf(format, k)
		if strings.Contains(strings.ToLower(out), "abab") || strings.Contains(out, "171 171") {
			t.Errorf("%s prints key bytes: %s", format, out)
		}
	}
	if !strings.Contains(k.String(), k.Fingerprint()) {
		t.Errorf("String %q lacks the fingerprint", k)
	}
	other, _ := local.NewKEK(bytes.Repeat([]byte{0xAC}, local.KEKSize))
	if k.Fingerprint() == other.Fingerprint() || len(k.Fingerprint()) != 32 {
		t.Errorf("fingerprints %s and %s", k.Fingerprint(), other.Fingerprint())
	}
	if _, err := local.NewKEK(raw[:31]); warden.ErrorKind(err) != warden.EINVALID {
		t.Errorf("NewKEK(31 bytes): %v", err)
	}
}
