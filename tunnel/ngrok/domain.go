package ngrok

import (
	"fmt"
	"strings"
)

// CheckDomain refuses a --ngrok-domain that is not a plain host name such
// as calwatch-me.ngrok.app: letters, digits and hyphens in dot-separated
// labels of at most 63 bytes, at least two labels, at most 253 bytes.
func CheckDomain(d string) error {
	switch {
	case d == "":
		return fmt.Errorf("--ngrok-domain is empty; pass a domain of your ngrok account, like calwatch-me.ngrok.app")
	case strings.Contains(d, "://") || strings.ContainsAny(d, "/:?#@"):
		return fmt.Errorf("--ngrok-domain %s: pass the host name only, like calwatch-me.ngrok.app (no scheme, port or path)", quoted(d))
	case len(d) > 253:
		return fmt.Errorf("--ngrok-domain is %d bytes long; a domain has at most 253", len(d))
	}
	labels := strings.Split(strings.TrimSuffix(d, "."), ".")
	if len(labels) < 2 {
		return fmt.Errorf("--ngrok-domain %s is not a full domain; pass one like calwatch-me.ngrok.app", quoted(d))
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return fmt.Errorf("--ngrok-domain %s has an empty, too long, or hyphen-edged part; pass one like calwatch-me.ngrok.app", quoted(d))
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return fmt.Errorf("--ngrok-domain %s may hold only letters, digits, hyphens and dots", quoted(d))
			}
		}
	}
	return nil
}

// quoted keeps user input in an error on one short, printable line.
func quoted(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return fmt.Sprintf("%q", s)
}
