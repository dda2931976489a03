package emulator

import (
	"strings"
)

// Key prefixes of the sObject types the emulator serves, as in Salesforce.
const (
	prefixOrg              = "00D"
	prefixUser             = "005"
	prefixProfile          = "00e"
	prefixPermissionSet    = "0PS"
	prefixAssignment       = "0Pa"
	prefixUserLogin        = "060"
	prefixLoginHistory     = "0Ya"
	prefixAuditTrail       = "0Ym"
	prefixConnectedApp     = "0H4"
	prefixOauthToken       = "0CQ"
	prefixLoginIP          = "0Jx"
	prefixUserLicense      = "100"
	prefixPSL              = "0PL"
	prefixPSLAssign        = "2LA"
	prefixObjectPermission = "110"
	prefixUserRole         = "00E"
	prefixApexClass        = "01p"
	prefixApexTrigger      = "01q"
	prefixAccount          = "001"
	prefixContact          = "003"
	prefixOpportunity      = "006"
	prefixCase             = "500"
	prefixLead             = "00Q"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// makeID returns an 18-character Salesforce id with the given 3-character
// prefix, a 4-character pod tag and a sequence number.
func makeID(prefix, tag string, seq uint64) string {
	var b [15]byte
	copy(b[:3], prefix)
	copy(b[3:7], (tag + "0000")[:4])
	for i := 14; i >= 7; i-- {
		b[i] = base62[seq%62]
		seq /= 62
	}
	return idChecksum(string(b[:]))
}

// idChecksum appends Salesforce's 3-character case-safe suffix to a 15-char id.
func idChecksum(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var sb strings.Builder
	sb.Grow(18)
	sb.WriteString(id15)
	for chunk := 0; chunk < 3; chunk++ {
		n := 0
		for i := 0; i < 5; i++ {
			c := id15[chunk*5+i]
			if c >= 'A' && c <= 'Z' {
				n |= 1 << i
			}
		}
		sb.WriteByte(alphabet[n])
	}
	return sb.String()
}

// normID returns the 18-character form of a 15- or 18-character id, or the
// input unchanged when it is neither.
func normID(id string) string {
	if len(id) == 15 {
		return idChecksum(id)
	}
	return id
}
