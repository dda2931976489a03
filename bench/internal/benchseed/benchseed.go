// Package benchseed generates the synthetic emulator seeds the Warden
// benchmarks run against: any number of orgs, each with a System
// Administrator that Warden monitors with (JWT bearer through the
// connected app "Warden"), and a number of integration users whose API
// access comes from a permission set (so that removing the permission set
// removes API Enabled). Names, passwords and tokens are deterministic, so
// a load generator in another process can compute them.
package benchseed

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/wardenhq/warden/emulator"
)

// Fixed credentials of every generated org.
const (
	AppName         = "Warden"
	AppSecret       = "warden-bench-secret"
	AdminPassword   = "Bench-Adm1n-Passw0rd"
	AdminToken      = "BENCHADMINTOKEN00001"
	UserPassword    = "Bench-Int-Passw0rd1"
	UserToken       = "BENCHINTTOKEN0000001"
	AdminProfile    = "System Administrator"
	IntProfile      = "Integration Minimum"
	APIPermSet      = "Integration_API"
	refreshPrefix   = "5Aep861BenchRefresh"
	callbackURL     = "http://127.0.0.1:9/callback"
	defaultDailyAPI = 1 << 30
)

// Params describe a generated seed.
type Params struct {
	// Orgs is the number of orgs.
	Orgs int
	// Users is the number of integration users per org (besides the
	// admin).
	Users int
	// Cert is the PEM certificate installed in each org's connected app
	// for the JWT bearer flow; empty refuses JWT.
	Cert string
	// DailyAPIRequests per org; default 2^30 so load tests never reach
	// the limit.
	DailyAPIRequests int
}

// OrgName is the name of org i.
func OrgName(i int) string { return fmt.Sprintf("bench-org-%04d", i) }

// AdminUsername is the username of org i's monitoring admin.
func AdminUsername(i int) string { return fmt.Sprintf("admin@org%04d.bench", i) }

// Username is the username of integration user j of org i.
func Username(i, j int) string { return fmt.Sprintf("int%03d@org%04d.bench", j, i) }

// AppKey is the consumer key of org i's connected app "Warden" (consumer
// keys are unique across orgs).
func AppKey(i int) string { return fmt.Sprintf("warden-bench-%04d", i) }

// RefreshToken is the seeded refresh token of org i's admin for the app
// "Warden".
func RefreshToken(i int) string { return fmt.Sprintf("%s%04d", refreshPrefix, i) }

// Generate returns a seed for p.
func Generate(p Params) *emulator.Seed {
	daily := p.DailyAPIRequests
	if daily == 0 {
		daily = defaultDailyAPI
	}
	never := 0
	seed := &emulator.Seed{}
	for i := 0; i < p.Orgs; i++ {
		o := emulator.SeedOrg{
			Name:             OrgName(i),
			DailyAPIRequests: daily,
			Settings:         emulator.SeedSettings{PasswordExpiresDays: &never},
			Profiles: []emulator.SeedProfile{
				{Name: AdminProfile, Permissions: []string{"ApiEnabled", "ViewAllData", "ModifyAllData", "ManageUsers", "ResetPasswords",
					"ViewSetup", "ManageProfilesPermissionsets", "AssignPermissionSets"}},
				// No API Enabled on the profile: it comes from the
				// permission set, as least-privilege guidance recommends.
				{Name: IntProfile, UserLicense: "Salesforce Integration", Permissions: []string{"ApiUserOnly"}, PasswordNeverExpires: true},
			},
			PermissionSets: []emulator.SeedPermissionSet{
				{Name: APIPermSet, Label: "Integration API", Permissions: []string{"ApiEnabled"},
					Objects: map[string][]string{"Account": {"Read"}}},
			},
			Users: []emulator.SeedUser{{Username: AdminUsername(i), FirstName: "Bench", LastName: "Admin", Profile: AdminProfile,
				Password: AdminPassword, SecurityToken: AdminToken}},
			ConnectedApps: []emulator.SeedConnectedApp{{Name: AppName, ConsumerKey: AppKey(i), ConsumerSecret: AppSecret,
				CallbackURL: callbackURL, Certificate: p.Cert}},
			RefreshTokens: []emulator.SeedRefreshToken{{User: AdminUsername(i), App: AppName, Token: RefreshToken(i)}},
		}
		for j := 0; j < p.Users; j++ {
			o.Users = append(o.Users, emulator.SeedUser{Username: Username(i, j), LastName: fmt.Sprintf("Integration %d", j),
				Profile: IntProfile, PermissionSets: []string{APIPermSet}, Password: UserPassword, SecurityToken: UserToken})
		}
		seed.Orgs = append(seed.Orgs, o)
	}
	return seed
}

// NewKey returns a fresh RSA key and a self-signed PEM certificate for it.
func NewKey() (*rsa.PrivateKey, string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, "", err
	}
	cert, err := certificate(key)
	return key, cert, err
}

func certificate(key *rsa.PrivateKey) (string, error) {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "warden-bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// LoadOrCreateKey reads an RSA private key (PKCS#1 PEM) from path, or
// creates one and writes it there (mode 0600) when the file does not
// exist. It returns the key and a self-signed certificate for it, so two
// processes given the same path share the key.
func LoadOrCreateKey(path string) (*rsa.PrivateKey, string, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, cert, err := NewKey()
		if err != nil {
			return nil, "", err
		}
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
		if err := os.WriteFile(path, pemKey, 0o600); err != nil {
			return nil, "", err
		}
		return key, cert, nil
	}
	if err != nil {
		return nil, "", err
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, "", fmt.Errorf("%s: no PEM block", path)
	}
	key, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	cert, err := certificate(key)
	return key, cert, err
}
