// Package imaptest runs a real IMAP server for tests: Debian's Dovecot
// (package dovecot-imapd), started in the foreground as a child process
// with a configuration generated in a temporary directory, listening on
// loopback only, with passwd-file users and Maildir storage in that
// directory. It is stopped when the test ends.
//
// When the dovecot binary is missing the test is skipped, except with
// CI=true, where it fails: scripts/install-dovecot.sh installs it.
package imaptest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// User is a mailbox account on the server.
type User struct {
	Name     string
	Password string
}

// Server is a running Dovecot.
type Server struct {
	// Addr is the plain IMAP listener (STARTTLS offered); TLSAddr the
	// implicit-TLS one.
	Addr    string
	TLSAddr string
	// TLSConfig trusts the server's self-signed certificate (for
	// "localhost" and 127.0.0.1).
	TLSConfig *tls.Config
	Dir       string

	mu  sync.Mutex
	log strings.Builder
}

// Binary returns the path of dovecot, or "" when it is not installed.
func Binary() string {
	for _, p := range []string{"dovecot", "/usr/sbin/dovecot"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// Start runs Dovecot with the given users until the test ends.
func Start(t testing.TB, users ...User) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("dovecot is not installed (run scripts/install-dovecot.sh); CI requires the IMAP tests")
		}
		t.Skip("dovecot is not installed (apt-get install dovecot-imapd, or scripts/install-dovecot.sh)")
	}
	dir, err := os.MkdirTemp("", "warden-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Server{Dir: dir}
	certFile, keyFile, pool := selfSigned(t, dir)
	s.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}

	// Dovecot refuses to run its login processes as root and mail
	// processes as uid 0: as root, use its own unprivileged users; as
	// anyone else, run everything as the current user.
	loginUser, internalUser, internalGroup, mailUID, mailGID := "", "", "dovecot", os.Getuid(), os.Getgid()
	if os.Getuid() == 0 {
		loginUser, internalUser = "dovenull", "dovecot"
		u, err := user.Lookup("dovecot")
		if err != nil {
			t.Fatalf("dovecot user: %v", err)
		}
		mailUID, _ = strconv.Atoi(u.Uid)
		mailGID, _ = strconv.Atoi(u.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		cur, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		loginUser, internalUser = cur.Username, cur.Username
		if g, err := user.LookupGroupId(strconv.Itoa(os.Getgid())); err == nil {
			internalGroup = g.Name
		}
	}
	mail := filepath.Join(dir, "mail")
	if err := os.MkdirAll(mail, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getuid() == 0 {
		if err := os.Chown(mail, mailUID, mailGID); err != nil {
			t.Fatal(err)
		}
	}
	var passwd strings.Builder
	for _, u := range users {
		fmt.Fprintf(&passwd, "%s:{PLAIN}%s\n", u.Name, u.Password)
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		plain, secure := freePort(t), freePort(t)
		conf := fmt.Sprintf(config, dir, loginUser, internalUser, mail, dir, mailUID, mailGID, dir, plain, secure, certFile, keyFile, firstValidUID(mailUID), internalGroup)
		confPath := filepath.Join(dir, "dovecot.conf")
		if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-F", "-c", confPath)
		cmd.Stdout, cmd.Stderr = s.logWriter(), s.logWriter()
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting dovecot: %v", err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		s.Addr, s.TLSAddr = fmt.Sprintf("127.0.0.1:%d", plain), fmt.Sprintf("127.0.0.1:%d", secure)
		if lastErr = waitReady(s.Addr, done); lastErr == nil {
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-done
			})
			return s
		}
		cmd.Process.Kill()
		<-done
	}
	t.Fatalf("dovecot did not start: %v\n%s", lastErr, s.Log())
	return nil
}

// Log returns what Dovecot wrote so far.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

type logWriter struct{ s *Server }

func (w logWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.s.log.Len() < 1<<20 {
		w.s.log.Write(p)
	}
	return len(p), nil
}

func (s *Server) logWriter() logWriter { return logWriter{s} }

func firstValidUID(uid int) int {
	if uid < 1 {
		return 1
	}
	return uid
}

// config is the generated dovecot.conf. Arguments: base dir, login user,
// internal user, mail root, state dir parent, mail uid and gid, passwd
// dir, plain port, TLS port, cert, key, first valid uid, internal group.
const config = `# Generated by imaptest for one test run.
base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = warden-imaptest-%[9]d
log_path = /dev/stderr
info_log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = %[2]s
default_internal_user = %[3]s
default_internal_group = %[14]s
first_valid_uid = %[13]d
mail_location = maildir:%[4]s/%%u
ssl = yes
ssl_cert = <%[11]s
ssl_key = <%[12]s
ssl_min_protocol = TLSv1.2
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[8]s/passwd
}
userdb {
  driver = static
  args = uid=%[6]d gid=%[7]d home=%[4]s/%%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[9]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[10]d
    ssl = yes
  }
}
service anvil {
  chroot =
}
`

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitReady waits until the server greets with its capabilities.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("dovecot exited")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			r := bufio.NewReader(c)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					lastErr = err
					break
				}
				if strings.Contains(line, "CAPABILITY") {
					c.Close()
					return nil
				}
			}
			c.Close()
		} else {
			lastErr = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no greeting from %s: %v", addr, lastErr)
}

// selfSigned writes a certificate for localhost and 127.0.0.1 and returns
// the file paths and a pool trusting it.
func selfSigned(t testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	// Dovecot reads the key as root before dropping privileges.
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
