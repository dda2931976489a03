package warden

import (
	"strings"
	"time"
)

// LoginSuccess is the Status of a login that succeeded.
const LoginSuccess = "Success"

// Login is one login attempt as Salesforce records it (a LoginHistory row):
// who tried, when, how and from where, and how it ended. The monitor reads
// the recent attempts of every integration user, the policy audit checks
// their source addresses and hours, and discovery tells API logins from
// interactive ones.
type Login struct {
	// ID is the LoginHistory record's id.
	ID string `json:"id,omitempty"`
	// UserID is the id of the user who logged in or tried to.
	UserID string    `json:"userId,omitempty"`
	Time   time.Time `json:"time"`
	// Status is LoginSuccess or why the login failed, in Salesforce's
	// words: "Invalid Password", "User is Frozen", "Restricted IP", ...
	Status string `json:"status"`
	// LoginType is how the user logged in: "Remote Access 2.0" (an OAuth
	// grant), "Partner Product" or "Other Apex API" (SOAP and other API
	// clients), "Application" (the browser), and others.
	LoginType string `json:"loginType,omitempty"`
	// APIType and APIVersion name the API of an API login ("SOAP
	// Partner", "REST API"); Salesforce writes "N/A" for other logins.
	APIType    string `json:"apiType,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	// Application is the connected app or client that logged in, and
	// ClientVersion its version when it says.
	Application   string `json:"application,omitempty"`
	ClientVersion string `json:"clientVersion,omitempty"`
	// SourceIP is the address the attempt came from.
	SourceIP string `json:"sourceIp,omitempty"`
	// LoginURL is the host the client logged in at.
	LoginURL string `json:"loginUrl,omitempty"`
	// Browser and Platform describe the client as Salesforce saw it.
	Browser  string `json:"browser,omitempty"`
	Platform string `json:"platform,omitempty"`
	// CountryISO is the ISO code of the country SourceIP is in.
	CountryISO string `json:"countryIso,omitempty"`
	// TLSProtocol and CipherSuite describe the connection.
	TLSProtocol string `json:"tlsProtocol,omitempty"`
	CipherSuite string `json:"cipherSuite,omitempty"`
}

// Succeeded reports whether the login succeeded.
func (l Login) Succeeded() bool { return strings.EqualFold(l.Status, LoginSuccess) }

// SetupChange is one change made to an org's setup (a SetupAuditTrail
// row): freezing a user, changing its profile, unassigning a permission
// set, and so on.
type SetupChange struct {
	// ID is the SetupAuditTrail record's id.
	ID   string    `json:"id,omitempty"`
	Time time.Time `json:"time"`
	// Action is Salesforce's code for the change, such as "frozeuser",
	// "deactivateduser", "PermSetUnassign" or "changedprofileforuser".
	Action string `json:"action"`
	// Section is the area of Setup it was made in, such as "Manage Users".
	Section string `json:"section,omitempty"`
	// Display is Salesforce's description of the change, which names the
	// user, profile or permission set it touched.
	Display string `json:"display"`
	// By is the username of who made the change, ByID their user id.
	By   string `json:"by"`
	ByID string `json:"byId,omitempty"`
	// DelegateUser is the user who made the change while logged in as By
	// ("Login-As"), if any.
	DelegateUser string `json:"delegateUser,omitempty"`
	// Namespace is the prefix of the managed package responsible for the
	// change, if any.
	Namespace string `json:"namespace,omitempty"`
}
