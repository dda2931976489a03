package mailbox

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/wardenhq/warden"
)

// SalesforceMail is what one of Salesforce's e-mails announces: a new
// security token ("Your new Salesforce security token"), a temporary
// password or a reset link (an administrator's password reset, "Finish
// resetting your Salesforce password"), or an identity verification code.
// Fields the message does not carry are empty. Every value is a substring
// of the message's subject or text. It holds secrets: String hides them.
type SalesforceMail struct {
	// SecurityToken follows "Security token (case-sensitive):".
	SecurityToken string
	// TemporaryPassword follows "Temporary password:" (or "Password:",
	// "New password:") on a line of its own.
	TemporaryPassword string
	// ResetURL is the first link to a Salesforce host (or one of
	// ParseOptions.LinkHosts) that looks like a login or reset link.
	ResetURL string
	// VerificationCode is the digits after "Verification code:".
	VerificationCode string
	// Username follows "Username:" on a line of its own.
	Username string
}

// String hides the values, naming only which ones are present.
func (m SalesforceMail) String() string {
	var have []string
	for _, f := range []struct{ name, v string }{
		{"securityToken", m.SecurityToken}, {"temporaryPassword", m.TemporaryPassword},
		{"resetURL", m.ResetURL}, {"verificationCode", m.VerificationCode}, {"username", m.Username},
	} {
		if f.v != "" {
			have = append(have, f.name)
		}
	}
	return "[salesforce mail: " + strings.Join(have, ",") + "]"
}

// GoString hides the values like String.
func (m SalesforceMail) GoString() string { return m.String() }

// Empty reports whether the message announced nothing Warden uses.
func (m SalesforceMail) Empty() bool {
	return m.SecurityToken == "" && m.TemporaryPassword == "" && m.ResetURL == "" && m.VerificationCode == ""
}

// ParseOptions tune ParseSalesforce.
type ParseOptions struct {
	// LinkHosts are hosts (host or host:port) besides Salesforce's own
	// domains whose links may be a ResetURL, such as the emulator's
	// address. Links to them may use http; Salesforce links must use https.
	LinkHosts []string
}

// salesforceDomains are the domains Salesforce sends login and reset
// links from; a link's host must be one of them or a subdomain.
var salesforceDomains = []string{
	"salesforce.com", "force.com", "cloudforce.com", "database.com", "site.com",
	"salesforce-sites.com", "salesforce-setup.com", "visualforce.com",
}

// Labels, in the English wording Salesforce uses and the wording of its
// main translations. They are matched case-insensitively.
var (
	tokenLabels = []string{
		"security token", "sicherheitstoken", "jeton de sécurité", "jeton de securite",
		"token de seguridad", "token di sicurezza", "token de segurança", "token de seguranca",
		"beveiligingstoken", "säkerhetstoken", "sikkerhedstoken", "セキュリティトークン", "보안 토큰", "安全令牌",
	}
	passwordLabels = []string{
		"temporary password", "temp password", "new password", "password",
		"temporäres kennwort", "temporäres passwort", "kennwort", "passwort",
		"mot de passe temporaire", "mot de passe", "contraseña temporal", "contraseña",
		"password temporanea", "senha temporária", "senha", "tijdelijk wachtwoord", "wachtwoord",
		"仮パスワード", "パスワード",
	}
	codeLabels = []string{
		"verification code", "identity verification code", "enter this code", "your code is",
		"code de vérification", "bestätigungscode", "verifizierungscode", "código de verificación",
		"codice di verifica", "verificatiecode", "確認コード", "認証コード",
	}
	usernameLabels = []string{
		"username", "user name", "benutzername", "nom d'utilisateur", "nombre de usuario",
		"nome utente", "nome de usuário", "gebruikersnaam", "ユーザー名",
	}
)

func alternation(labels []string) string {
	q := make([]string, len(labels))
	for i, l := range labels {
		q[i] = strings.ReplaceAll(regexp.QuoteMeta(l), " ", `[^\S\n]+`)
	}
	return "(?:" + strings.Join(q, "|") + ")"
}

var (
	// A label, an optional parenthesis ("(case-sensitive)"), a colon, and
	// the token on the same line, or alone on a later line (HTML layouts
	// put it in a cell of its own).
	tokenRE = regexp.MustCompile(`(?i)` + alternation(tokenLabels) +
		`[^\S\n]*(?:\([^()\n]{0,80}\)|（[^（）\n]{0,80}）)?[^\S\n]*[:：]` +
		`(?:[^\S\n]*([A-Za-z0-9]{10,64})|[^\S\n]*\n\s*([A-Za-z0-9]{10,64})[^\S\n]*(?:\n|$))`)
	// A label at the start of a line, a colon, and one word ending the line.
	passwordRE = regexp.MustCompile(`(?im)^[^\S\n]*(?:[-*•][^\S\n]*)?` + alternation(passwordLabels) +
		`[^\S\n]*[:：][^\S\n]*(\S{4,128})[^\S\n]*$`)
	usernameRE = regexp.MustCompile(`(?im)^[^\S\n]*(?:[-*•][^\S\n]*)?` + alternation(usernameLabels) +
		`[^\S\n]*[:：][^\S\n]*(\S{1,256})[^\S\n]*$`)
	codeRE = regexp.MustCompile(`(?i)` + alternation(codeLabels) + `[^\S\n]*(?:is|est|ist|es|è|é)?[^\S\n]*[:：]?\s*([0-9]{4,10})`)
	linkRE = regexp.MustCompile(`https?://[^\s<>"'()\[\]{}]+`)
)

// ParseSalesforce extracts what a Salesforce e-mail announces from its
// subject and text (see [warden.MailMessage.TextBody]). It never fails:
// a message that is not from Salesforce, or is damaged, yields an empty
// SalesforceMail. It accepts Salesforce's wording and its translations,
// plain text and text made from HTML, and the emulator's e-mails. It does
// not check the sender: callers select messages by recipient and time.
func ParseSalesforce(subject, text string, opts ParseOptions) SalesforceMail {
	var m SalesforceMail
	for _, s := range []string{text, subject} {
		if m.SecurityToken == "" {
			m.SecurityToken = submatch(tokenRE, s, alnumBoundary)
		}
		if m.VerificationCode == "" {
			m.VerificationCode = submatch(codeRE, s, digitBoundary)
		}
	}
	m.TemporaryPassword = submatch(passwordRE, text, nil)
	m.Username = submatch(usernameRE, text, nil)
	m.ResetURL = resetLink(text, opts)
	return m
}

// ParseSalesforceMessage is ParseSalesforce on a message's subject and text.
func ParseSalesforceMessage(msg *warden.MailMessage, opts ParseOptions) SalesforceMail {
	return ParseSalesforce(msg.Subject, msg.TextBody, opts)
}

// submatch returns the first non-empty capture of re in s that ok accepts
// (given the text after the capture), or "".
func submatch(re *regexp.Regexp, s string, ok func(after string) bool) string {
	for _, loc := range re.FindAllStringSubmatchIndex(s, 8) {
		for g := 2; g+1 < len(loc); g += 2 {
			if loc[g] < 0 {
				continue
			}
			if ok == nil || ok(s[loc[g+1]:]) {
				return s[loc[g]:loc[g+1]]
			}
		}
	}
	return ""
}

// alnumBoundary accepts a token not followed by more word characters
// (a longer run is not a security token).
func alnumBoundary(after string) bool {
	r, _ := utf8.DecodeRuneInString(after)
	return after == "" || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}

func digitBoundary(after string) bool {
	r, _ := utf8.DecodeRuneInString(after)
	return after == "" || !(unicode.IsLetter(r) || unicode.IsDigit(r))
}

// resetLink returns the first allowed link that looks like a login or
// password link, or "".
func resetLink(text string, opts ParseOptions) string {
	for _, raw := range linkRE.FindAllString(text, 64) {
		raw = strings.TrimRight(raw, ".,;:!?>")
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || u.User != nil {
			continue
		}
		if !allowedHost(u, opts) {
			continue
		}
		p := strings.ToLower(u.Path)
		if u.Query().Has("c") || strings.Contains(p, "secur/") || strings.Contains(p, "password") ||
			strings.Contains(p, "reset") || strings.Contains(p, "login") || strings.Contains(p, "verif") {
			return raw
		}
	}
	return ""
}

func allowedHost(u *url.URL, opts ParseOptions) bool {
	for _, h := range opts.LinkHosts {
		if h != "" && (strings.EqualFold(u.Host, h) || strings.EqualFold(u.Hostname(), h)) {
			return u.Scheme == "https" || u.Scheme == "http"
		}
	}
	if u.Scheme != "https" || u.Port() != "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range salesforceDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
