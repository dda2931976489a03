package inventory_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wardenhq/warden"
	"github.com/wardenhq/warden/inventory"
)

// Secret parts used in the table: none may appear in an error.
const (
	tSecret  = "S3cretValue0123456789"
	tRefresh = "5Aep861TestRefreshToken.0123456789"
)

func TestParseAuthURL(t *testing.T) {
	ok := []struct {
		in   string
		want inventory.SFAuth
	}{
		{"force://PlatformCLI::" + tRefresh + "@acme.my.salesforce.com",
			inventory.SFAuth{ClientID: "PlatformCLI", RefreshToken: tRefresh, InstanceURL: "https://acme.my.salesforce.com"}},
		{"  force://app-key:" + tSecret + ":" + tRefresh + "@https://Acme.my.salesforce.com/\n",
			inventory.SFAuth{ClientID: "app-key", ClientSecret: tSecret, RefreshToken: tRefresh, InstanceURL: "https://acme.my.salesforce.com"}},
		{"force://PlatformCLI::" + tRefresh + ":admin@acme.demo@acme.my.salesforce.com",
			inventory.SFAuth{ClientID: "PlatformCLI", RefreshToken: tRefresh, Username: "admin@acme.demo", InstanceURL: "https://acme.my.salesforce.com"}},
		{"force://k::" + tRefresh + "==@http://127.0.0.1:8484",
			inventory.SFAuth{ClientID: "k", RefreshToken: tRefresh + "==", InstanceURL: "http://127.0.0.1:8484"}},
		{"force://k::" + tRefresh + "@http://localhost:1717",
			inventory.SFAuth{ClientID: "k", RefreshToken: tRefresh, InstanceURL: "http://localhost:1717"}},
	}
	for _, tc := range ok {
		a, err := inventory.ParseAuthURL(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		tc.want.LoginURL, tc.want.Source = tc.want.InstanceURL, "auth URL"
		if *a != tc.want {
			t.Errorf("%q:\n got %#v %q %q\nwant %#v", tc.in, *a, a.ClientSecret, a.RefreshToken, tc.want)
		}
		if s := fmt.Sprintf("%v %+v %#v %s", a, a, a, *a); strings.Contains(s, tRefresh) || strings.Contains(s, tSecret) {
			t.Errorf("formatting shows a secret: %s", s)
		}
		again, err := inventory.ParseAuthURL(a.AuthURL())
		if err != nil || *again != *a {
			t.Errorf("round trip of %q: %v %v", tc.in, again, err)
		}
	}

	bad := []struct{ in, msg string }{
		{"", "auth URL: must start with force:// (the format is force://<clientId>:<clientSecret>:<refreshToken>@<instanceUrl>)"},
		{"https://acme.my.salesforce.com", "auth URL: must start with force:// (the format is force://<clientId>:<clientSecret>:<refreshToken>@<instanceUrl>)"},
		{"force://PlatformCLI::" + tRefresh, "auth URL: no '@' before the instance URL (the format is force://<clientId>:<clientSecret>:<refreshToken>@<instanceUrl>)"},
		{"force://" + tRefresh + "@acme.my.salesforce.com", "auth URL: want clientId:clientSecret:refreshToken before the instance URL, found 1 part(s) separated by ':'"},
		{"force://a:" + tSecret + ":" + tRefresh + ":u@x.com:extra@acme.my.salesforce.com", "auth URL: want clientId:clientSecret:refreshToken before the instance URL, found 5 part(s) separated by ':'"},
		{"force://:" + tSecret + ":" + tRefresh + "@acme.my.salesforce.com", "auth URL: the client id (first part) is empty"},
		{"force://a b:" + tSecret + ":" + tRefresh + "@acme.my.salesforce.com", "auth URL: the client id (first part) has characters other than letters, digits, '.', '_', '-' (and '=' padding)"},
		{"force://app:" + tSecret + "!:" + tRefresh + "@acme.my.salesforce.com", "auth URL: the client secret (second part) has characters other than letters, digits, '.', '_', '-' (and '=' padding)"},
		{"force://app:" + tSecret + "::@acme.my.salesforce.com", "auth URL: the refresh token (third part) is empty"},
		{"force://app:" + tSecret + ":@acme.my.salesforce.com", "auth URL: the refresh token (third part) is empty"},
		{"force://app::" + tRefresh + "%20@acme.my.salesforce.com", "auth URL: the refresh token (third part) has characters other than letters, digits, '.', '_', '-' (and '=' padding)"},
		{"force://app::abcdef0123456789abcd:0123456789abcdef0123456789abcdef@acme.my.salesforce.com", "auth URL: the username (fourth part) is not a Salesforce username (name@domain)"},
		{"force://app:" + tSecret + ":" + tRefresh + ":nobody@acme.my.salesforce.com", "auth URL: the username (fourth part) is not a Salesforce username (name@domain)"},
		{"force://app:" + tSecret + ":" + tRefresh + "@", "auth URL: the instance URL (after '@') is empty"},
		{"force://app:" + tSecret + ":" + tRefresh + "@acme.my.salesforce.com/services", "auth URL: the instance URL (after '@') \"https://acme.my.salesforce.com\" must be a bare host, without a path, query or fragment"},
		{"force://app:" + tSecret + ":" + tRefresh + "@acme.my.salesforce.com?x=1", "auth URL: the instance URL (after '@') \"https://acme.my.salesforce.com\" must be a bare host, without a path, query or fragment"},
		{"force://app:" + tSecret + ":" + tRefresh + "@http://acme.my.salesforce.com", "auth URL: the instance URL (after '@') \"http://acme.my.salesforce.com\" uses plain http; only https is accepted (http only on loopback addresses)"},
		{"force://app:" + tSecret + ":" + tRefresh + "@ftp://acme.example", "auth URL: the instance URL (after '@') has scheme \"ftp\"; want https"},
		{"force://app:" + tSecret + ":" + tRefresh + "@acme example", "auth URL: the instance URL (after '@') has characters a URL cannot have"},
		{"force://app:" + tSecret + ":" + tRefresh + "@https://", "auth URL: the instance URL (after '@') \"https://\" is not an absolute URL (want https://HOST, such as https://login.salesforce.com or https://acme.my.salesforce.com)"},
		{"force://app:" + tSecret + ":" + tRefresh + "@acme.example:0", "auth URL: the instance URL (after '@') \"acme.example:0\" has a bad port"},
		{"force://app:" + tSecret + ":" + tRefresh + "@acme.example:99999", "auth URL: the instance URL (after '@') \"acme.example:99999\" has a bad port"},
		{"force://app:0123456789abcdef0123:0123456789abcdef0123456789abcdef:" + tRefresh + "@acme.example", "auth URL: the username (fourth part) is not a Salesforce username (name@domain)"},
		{"force://app::0123456789abcdef0123:0123456789abcdef0123456789abcdef@acme.example", "auth URL: the username (fourth part) is not a Salesforce username (name@domain)"},
	}
	for _, tc := range bad {
		_, err := inventory.ParseAuthURL(tc.in)
		if err == nil {
			t.Errorf("%q: no error", tc.in)
			continue
		}
		if warden.ErrorKind(err) != warden.EINVALID {
			t.Errorf("%q: kind %s", tc.in, warden.ErrorKind(err))
		}
		if err.Error() != tc.msg {
			t.Errorf("%q:\n got %s\nwant %s", tc.in, err, tc.msg)
		}
		if strings.Contains(err.Error(), tSecret) || strings.Contains(err.Error(), tRefresh) {
			t.Errorf("%q: error shows a secret: %s", tc.in, err)
		}
	}
}

func TestParseSFAuth(t *testing.T) {
	display := `{"status":0,"result":{"id":"00D8c000006AcmeEAC","apiVersion":"62.0","accessToken":"00D8c000006AcmeEAC!AQ0Access",
		"instanceUrl":"https://acme.my.salesforce.com","username":"admin@acme.demo","clientId":"PlatformCLI","connectedStatus":"Connected",
		"sfdxAuthUrl":"force://PlatformCLI::` + tRefresh + `@acme.my.salesforce.com","alias":"acme"},"warnings":[]}`
	a, err := inventory.ParseSFAuth([]byte(display))
	if err != nil {
		t.Fatal(err)
	}
	want := inventory.SFAuth{ClientID: "PlatformCLI", RefreshToken: tRefresh, InstanceURL: "https://acme.my.salesforce.com",
		LoginURL: "https://acme.my.salesforce.com", Username: "admin@acme.demo", OrgID: "00D8c000006AcmeEAC", Source: "sf org display"}
	if *a != want {
		t.Errorf("display: %#v", *a)
	}
	file := `{"accessToken":"00D8c000006AcmeEAC!AQ0Access","instanceUrl":"https://acme.my.salesforce.com","loginUrl":"https://login.salesforce.com",
		"orgId":"00D8c000006AcmeEAC","refreshToken":"` + tRefresh + `","clientId":"my-app","clientSecret":"` + tSecret + `","username":"admin@acme.demo","isDevHub":false}`
	a, err = inventory.ParseSFAuth([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want = inventory.SFAuth{ClientID: "my-app", ClientSecret: tSecret, RefreshToken: tRefresh, InstanceURL: "https://acme.my.salesforce.com",
		LoginURL: "https://login.salesforce.com", Username: "admin@acme.demo", OrgID: "00D8c000006AcmeEAC", Source: "auth file"}
	if *a != want {
		t.Errorf("file: %#v", *a)
	}
	if a, err = inventory.ParseSFAuth([]byte("force://PlatformCLI::" + tRefresh + "@acme.my.salesforce.com\n")); err != nil || a.Source != "auth URL" {
		t.Errorf("URL in a file: %v %v", a, err)
	}
	if a, err = inventory.ParseSFAuth([]byte(`{"instanceUrl":"https://x.my.salesforce.com","refreshToken":"` + tRefresh + `"}`)); err != nil || a.ClientID != "PlatformCLI" {
		t.Errorf("default client id: %v %v", a, err)
	}

	encrypted := "0123456789abcdef0123456789abcdef0123:0123456789abcdef0123456789abcdef"
	bad := []struct{ in, msg string }{
		{``, "auth file: neither a force:// auth URL nor JSON (from sf org display --verbose --json, or ~/.sfdx/USERNAME.json)"},
		{`[1]`, "auth file: neither a force:// auth URL nor JSON (from sf org display --verbose --json, or ~/.sfdx/USERNAME.json)"},
		{`{"refreshToken": "` + tRefresh + `"`, "auth file: not valid JSON (at byte 53)"},
		{`{"refreshToken": "` + tRefresh + `" x}`, "auth file: not valid JSON (at byte 55)"},
		{`{"status":1,"name":"NamedOrgNotFoundError","message":"No authorization information found for acme."}`,
			"auth file: neither an sf org display result nor a ~/.sfdx auth file (no result, no refreshToken)"},
		{`{"status":1,"name":"NamedOrgNotFoundError","result":null}`, "auth file: the Salesforce CLI reported an error (status 1, NamedOrgNotFoundError); nothing to import"},
		{`{"status":0,"result":[]}`, "auth file: result is not an object"},
		{`{"status":0,"result":{"username":"admin@acme.demo"}}`, "auth file: result.sfdxAuthUrl is missing (sf prints it with --verbose, and only for orgs authorized with a refresh token: web login or an auth URL, not JWT or an access token)"},
		{`{"status":0,"result":{"sfdxAuthUrl":42}}`, "auth file: sfdxAuthUrl is not a string"},
		{`{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::@acme.my.salesforce.com"}}`, "auth file: result.sfdxAuthUrl: the refresh token (third part) is empty"},
		{`{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::` + tRefresh + `@acme.my.salesforce.com","username":"admin"}}`, "auth file: result.username is not a Salesforce username (name@domain)"},
		{`{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::` + tRefresh + `@acme.my.salesforce.com","id":"001xx"}}`, "auth file: id is not a Salesforce org id (00D followed by 12 or 15 letters and digits)"},
		{`{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::` + tRefresh + `@acme.my.salesforce.com","instanceUrl":"https://other.my.salesforce.com"}}`,
			`auth file: result.instanceUrl "https://other.my.salesforce.com" and the instance in result.sfdxAuthUrl "https://acme.my.salesforce.com" differ`},
		{`{"instanceUrl":"https://acme.my.salesforce.com","privateKey":"/home/me/server.key","clientId":"x","username":"a@b.c"}`,
			"auth file: the org was authorized with JWT (privateKey), which has no refresh token; use warden org add --kind jwt with that key"},
		{`{"instanceUrl":"https://acme.my.salesforce.com","accessToken":"00Dxx!AQ0"}`,
			"auth file: refreshToken is missing (the org was authorized with an access token only, which expires); authorize it with sf org login web, or use warden org add"},
		{`{"instanceUrl":"https://acme.my.salesforce.com","refreshToken":"` + encrypted + `"}`,
			"auth file: refreshToken is encrypted by the Salesforce CLI (with a key in your OS keychain), so Warden cannot read it; export an auth URL instead: sf org display --target-org ALIAS --verbose --json > auth.json, then --file auth.json (or use --from-sf-alias ALIAS)"},
		{`{"instanceUrl":"https://acme.my.salesforce.com","refreshToken":"` + tRefresh + `","clientSecret":"` + encrypted + `"}`,
			"auth file: clientSecret is encrypted by the Salesforce CLI (with a key in your OS keychain), so Warden cannot read it; export an auth URL instead: sf org display --target-org ALIAS --verbose --json > auth.json, then --file auth.json (or use --from-sf-alias ALIAS)"},
		{`{"instanceUrl":"https://acme.my.salesforce.com","refreshToken":"` + tRefresh + ` "}`,
			"auth file: refreshToken has characters other than letters, digits, '.', '_', '-' (and '=' padding)"},
		{`{"instanceUrl":"https://acme.my.salesforce.com","refreshToken":"` + tRefresh + `","clientSecret":"` + tSecret + `/"}`,
			"auth file: clientSecret has characters other than letters, digits, '.', '_', '-' (and '=' padding)"},
		{`{"refreshToken":"` + tRefresh + `"}`, "auth file: instanceUrl is missing"},
		{`{"refreshToken":"` + tRefresh + `","instanceUrl":"acme.my.salesforce.com"}`, "auth file: instanceUrl \"acme.my.salesforce.com\" is not an absolute URL (want https://HOST, such as https://login.salesforce.com or https://acme.my.salesforce.com)"},
		{`{"refreshToken":"` + tRefresh + `","instanceUrl":"https://acme.my.salesforce.com","loginUrl":"http://login.salesforce.com"}`,
			"auth file: loginUrl \"http://login.salesforce.com\" uses plain http; only https is accepted (http only on loopback addresses)"},
		{`{"refreshToken":"` + tRefresh + `","instanceUrl":"https://acme.my.salesforce.com","username":"nobody"}`, "auth file: username is not a Salesforce username (name@domain)"},
		{`{"refreshToken":["` + tRefresh + `"]}`, "auth file: refreshToken is not a string"},
		{strings.Repeat(" ", 1<<20+1), "auth file: larger than 1048576 bytes"},
	}
	for _, tc := range bad {
		_, err := inventory.ParseSFAuth([]byte(tc.in))
		if err == nil {
			t.Errorf("%.80q: no error", tc.in)
			continue
		}
		if err.Error() != tc.msg {
			t.Errorf("%.80q:\n got %s\nwant %s", tc.in, err, tc.msg)
		}
		if strings.Contains(err.Error(), tSecret) || strings.Contains(err.Error(), tRefresh) || strings.Contains(err.Error(), "AQ0") {
			t.Errorf("%q: error shows a secret: %s", tc.in, err)
		}
	}
}

// splitAuthURL returns the parts of an auth URL that are secret (client
// secret and refresh token), as a naive split sees them, and the rest of
// the input.
func splitAuthURL(s string) (secret []string, public string) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), "force://")
	if !ok {
		return nil, s
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		at = len(rest)
	}
	var pub []string
	for i, p := range strings.Split(rest[:at], ":") {
		if i >= 1 && i <= 2 {
			if len(p) >= 6 {
				secret = append(secret, p)
			}
		} else {
			pub = append(pub, p)
		}
	}
	return secret, strings.Join(pub, " ") + " " + rest[min(at+1, len(rest)):]
}

// messageText is the fixed wording of parse errors: a secret part that
// happens to spell one of its words is not a leak.
const messageText = `auth URL: must start with force:// (the format is force://<clientId>:<clientSecret>:<refreshToken>@<instanceUrl>)
no '@' before the instance URL want clientId:clientSecret:refreshToken before the instance URL, found part(s) separated by ':'
the client id (first part) the client secret (second part) the refresh token (third part) the username (fourth part)
is empty is encrypted by the Salesforce CLI (its key is in your keychain) has characters other than letters, digits, '.', '_', '-' (and '=' padding)
is not a Salesforce username (name@domain) the instance URL (after '@') has characters a URL cannot have
is not an absolute URL (want https://HOST, such as https://login.salesforce.com or https://acme.my.salesforce.com) must not hold a user name or password
must be a bare host, without a path, query or fragment has a bad port uses plain http; only https is accepted (http only on loopback addresses)
has scheme ; want https https:// http://`

func FuzzParseAuthURL(f *testing.F) {
	// More seeds are in testdata/fuzz/FuzzParseAuthURL.
	f.Add("force://PlatformCLI::" + tRefresh + "@acme.my.salesforce.com")
	f.Add("force://app:" + tSecret + ":" + tRefresh + ":admin@acme.demo@http://127.0.0.1:8484")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := inventory.ParseAuthURL(s)
		if err != nil {
			msg := err.Error()
			if len(msg) > 400 {
				t.Fatalf("error too long (%d): %s", len(msg), msg)
			}
			secret, public := splitAuthURL(s)
			for _, p := range secret {
				if strings.Contains(msg, p) && !strings.Contains(public+messageText, p) {
					t.Fatalf("error %q shows secret part %q", msg, p)
				}
			}
			return
		}
		if a.ClientID == "" || a.RefreshToken == "" || !strings.HasPrefix(a.InstanceURL, "http") {
			t.Fatalf("accepted %q as %#v", s, a)
		}
		public := a.ClientID + " " + a.Username + " " + a.InstanceURL + " " + a.Source + " inventory.SFAuth{source= client= user= instance=}"
		for _, sec := range a.Secrets() {
			if len(sec) >= 4 && strings.Contains(a.String(), sec) && !strings.Contains(public, sec) {
				t.Fatalf("String shows a secret: %s", a)
			}
		}
		again, err := inventory.ParseAuthURL(a.AuthURL())
		if err != nil || *again != *a {
			t.Fatalf("round trip of %q: %#v %v", s, again, err)
		}
	})
}

func FuzzParseSFAuth(f *testing.F) {
	f.Add([]byte(`{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::` + tRefresh + `@acme.my.salesforce.com","username":"a@b.co"}}`))
	f.Add([]byte(`{"instanceUrl":"https://acme.my.salesforce.com","refreshToken":"` + tRefresh + `","clientSecret":"` + tSecret + `"}`))
	f.Add([]byte("force://PlatformCLI::" + tRefresh + "@acme.my.salesforce.com"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := inventory.ParseSFAuth(data)
		if err != nil {
			secrets, public := sfAuthSecrets(data)
			for _, sec := range secrets {
				if strings.Contains(err.Error(), sec) && !strings.Contains(public+messageText, sec) {
					t.Fatalf("error %q shows secret %q", err, sec)
				}
			}
			return
		}
		if a.RefreshToken == "" || a.ClientID == "" || a.InstanceURL == "" || a.LoginURL == "" {
			t.Fatalf("accepted as %#v", a)
		}
	})
}

// sfAuthSecrets returns the secret values of an auth file or URL (at
// least 6 bytes long) and its public text: every other value, unchanged,
// and the keys. A secret that is part of a public value (a refresh token
// "acme.my" in the instance URL https://acme.my.salesforce.com) may be
// quoted with that value; cutting the secret out of the input instead
// would make such a quote look like a leak.
func sfAuthSecrets(data []byte) ([]string, string) {
	var secrets, public []string
	if sec, pub := splitAuthURL(string(data)); sec != nil {
		secrets = append(secrets, sec...)
		public = append(public, pub)
	}
	var top any
	if json.Unmarshal(data, &top) == nil {
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				public = append(public, v)
			case []any:
				for _, x := range v {
					walk(x)
				}
			case map[string]any:
				for k, x := range v {
					public = append(public, k)
					str, isString := x.(string)
					switch {
					case isString && (k == "refreshToken" || k == "clientSecret" || k == "accessToken"):
						if len(str) >= 6 {
							secrets = append(secrets, str)
						} else {
							public = append(public, str)
						}
					case isString && k == "sfdxAuthUrl":
						sec, pub := splitAuthURL(str)
						secrets = append(secrets, sec...)
						public = append(public, pub)
					default:
						walk(x)
					}
				}
			default:
				public = append(public, fmt.Sprint(v))
			}
		}
		walk(top)
	}
	if len(public) == 0 {
		public = []string{string(data)}
	}
	return secrets, strings.Join(public, "\n")
}

func ExampleParseAuthURL() {
	a, err := inventory.ParseAuthURL("force://PlatformCLI::5Aep861ExampleRefreshToken@acme.my.salesforce.com")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(a.ClientID, a.InstanceURL)
	fmt.Println(a) // the refresh token stays hidden
	_, err = inventory.ParseAuthURL("force://PlatformCLI::5Aep861ExampleRefreshToken@http://acme.my.salesforce.com")
	fmt.Println(err)
	// Output:
	// PlatformCLI https://acme.my.salesforce.com
	// inventory.SFAuth{source=auth URL client=PlatformCLI user= instance=https://acme.my.salesforce.com}
	// auth URL: the instance URL (after '@') "http://acme.my.salesforce.com" uses plain http; only https is accepted (http only on loopback addresses)
}
