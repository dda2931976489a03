package rotation

import "github.com/wardenhq/warden"

// Describe says in a line what step does for a credential of kind k.
func Describe(k warden.CredentialKind, step string) string {
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

// Downtime says plainly what dependents see during a rotation of kind k.
func Downtime(k warden.CredentialKind) string {
	switch k {
	case warden.CredentialClientCredentials:
		return "none: the old and new consumer secrets both work until the old one is retired"
	case warden.CredentialJWT:
		return "dependents holding the old private key fail between the certificate change and their delivery (broker dependents hold none); the window is the delivery time"
	case warden.CredentialPassword:
		return "without a twin user, dependents on the old password fail between Salesforce's change and their delivery; the window is the token wait plus the delivery time"
	}
	return "not rotatable"
}
