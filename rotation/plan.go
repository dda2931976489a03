package rotation

import "github.com/wardenhq/warden"

// Describe says in a line what step does for credential c.
func Describe(c *warden.Credential, step string) string {
	k := c.Kind
	if c.HasTwin() {
		if d := describeTwin(c, step); d != "" {
			return d
		}
	}
	switch step {
	case StepTestCurrent:
		return "log in with the current credential: self-service if it works, break-glass if not"
	case StepCreate:
		switch k {
		case warden.CredentialPassword:
			return "generate a 24-character password; write it as the secret's pending version"
		case warden.CredentialJWT:
			return "generate an RSA key pair in memory; write the private key as the pending version"
		case warden.CredentialClientCredentials:
			return "stage a new consumer secret on the connected app; write it as the pending version"
		}
	case StepApply:
		switch k {
		case warden.CredentialPassword:
			return "set the password in Salesforce (sobjects/User/{id}/password); the old one stops working"
		case warden.CredentialJWT:
			return "install the new certificate on the connected app (Metadata API readMetadata + upsertMetadata)"
		case warden.CredentialClientCredentials:
			return "nothing: the staged secret works alongside the old one"
		}
	case StepCollectToken:
		return "read the new security token from the user's mailbox (or find that none is needed)"
	case StepTestNew:
		return "log in with the new credential"
	case StepDeliver:
		return "deliver the new credential to every dependent"
	case StepVerify:
		return "verify every dependent works with it"
	case StepPromote:
		return "promote the pending version to current (the old one becomes previous)"
	case StepRetire:
		switch k {
		case warden.CredentialClientCredentials:
			return "after the grace period, revoke the old consumer secret"
		case warden.CredentialJWT:
			return "after the grace period, record the old certificate's removal"
		}
		return "after the grace period, record the old password retired"
	}
	return ""
}

// describeTwin is Describe for the steps a twin credential runs
// differently, or "".
func describeTwin(c *warden.Credential, step string) string {
	what, pair := "user", c.Username+" and "+c.TwinUsername
	if c.TwinClientID != "" {
		what, pair = "connected app", c.ClientID+" and "+c.TwinClientID
	}
	switch step {
	case StepTestCurrent:
		return "log in with the current credential; the new one is for the idle twin " + what + " (of " + pair + "), set up through the monitoring credential"
	case StepApply:
		if c.Kind == warden.CredentialJWT {
			return "install the new certificate on the idle twin app; the dependents' app is unchanged"
		}
		return "set the idle twin's password (sobjects/User/{id}/password); the dependents' user is unchanged"
	case StepCollectToken:
		return "read the idle twin's new security token from its mailbox (or find that none is needed)"
	case StepDeliver:
		return "deliver the new credential, naming the twin " + what + ", to every dependent"
	case StepRetire:
		if c.Kind == warden.CredentialJWT {
			return "after the grace period, replace the previous twin app's certificate with one whose key nobody holds"
		}
		return "after the grace period, replace the previous twin's password with a random one nobody holds"
	}
	return ""
}

// Downtime says plainly what dependents see during a rotation of c.
func Downtime(c *warden.Credential) string {
	if c.HasTwin() {
		return "none: twin credential, the dependents stay on the active twin until they have moved to the idle one, which is only then retired"
	}
	switch c.Kind {
	case warden.CredentialClientCredentials:
		return "none: the old and new consumer secrets both work until the old one is retired"
	case warden.CredentialJWT:
		return "no twin app (twinClientId), so dependents holding the old private key fail between the certificate change and their delivery (broker dependents hold none); the window is the delivery time"
	case warden.CredentialPassword:
		return "no twin user (twinUsername), so dependents on the old password fail between Salesforce's change and their delivery; the window is the token wait plus the delivery time"
	}
	return "not rotatable"
}
