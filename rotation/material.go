package rotation

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/salesforce"
)

// passwordLen is the length of the passwords NewPassword makes: well
// above any org's minimum (Salesforce allows at most 16 as a minimum).
const passwordLen = 24

// Character classes of a new password. The symbols are ones Salesforce's
// "must mix alpha, numeric and special characters" policy counts and that
// need no quoting in .env, properties or YAML files.
const (
	upper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	lower   = "abcdefghijkmnopqrstuvwxyz"
	digits  = "23456789"
	symbols = "-_.+"
)

// NewPassword returns a random password that meets the strictest
// Salesforce password policy: 24 characters mixing upper and lower case
// letters, digits and special characters, from crypto/rand.
func NewPassword() string {
	classes := []string{upper, lower, digits, symbols}
	all := upper + lower + digits + symbols
	b := make([]byte, passwordLen)
	for i := range b {
		set := all
		if i < len(classes) {
			set = classes[i] // one of each class first
		}
		b[i] = set[randInt(len(set))]
	}
	// Shuffle so the classes are not in fixed places; the password
	// begins with a letter for tools that dislike a leading symbol.
	for i := len(b) - 1; i > 0; i-- {
		j := randInt(i + 1)
		b[i], b[j] = b[j], b[i]
	}
	for i, c := range b {
		if c >= 'A' && c <= 'z' {
			b[0], b[i] = b[i], b[0]
			break
		}
	}
	return string(b)
}

// randInt returns a uniform random int in [0, n).
func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return int(v.Int64())
}

// NewKey returns a new RSA 2048 private key in PEM (PKCS #8), made in
// memory: it goes straight into the secret store and never to disk.
func NewKey() (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", warden.Errorf(warden.EINTERNAL, "generating a key pair: %v", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", warden.Errorf(warden.EINTERNAL, "encoding the private key: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// Certificate returns the self-signed certificate (PEM) of a private key,
// the form a connected app takes for JWT bearer assertions. It is derived
// from the key alone (fixed serial and validity), so the same key always
// gives a certificate with the same public key: installing it twice, or
// again in a rollback, is harmless.
func Certificate(privateKeyPEM, subject string) (string, error) {
	k, err := salesforce.ParsePrivateKey([]byte(privateKeyPEM))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: subject, Organization: []string{"Warden"}},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return "", warden.Errorf(warden.EINTERNAL, "making the certificate: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}
