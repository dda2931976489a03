package delivery

import (
	"encoding/json"
	"strings"

	"github.com/wardenhq/warden"
)

// redact replaces every secret value of m in text with [redacted], in its
// raw and its JSON-escaped form (a hook may echo its stdin), and each line
// of a multi-line secret (a PEM key) too, so that no fragment of the
// material survives in output or errors.
func redact(text string, ms ...warden.Material) string {
	for _, m := range ms {
		for _, s := range m.Secrets() {
			text = strings.ReplaceAll(text, s, "[redacted]")
			if b, err := json.Marshal(s); err == nil {
				text = strings.ReplaceAll(text, string(b[1:len(b)-1]), "[redacted]")
			}
			for line := range strings.Lines(s) {
				if line = strings.TrimSpace(line); len(line) >= 8 && !strings.HasPrefix(line, "-----") {
					text = strings.ReplaceAll(text, line, "[redacted]")
				}
			}
		}
	}
	return text
}
