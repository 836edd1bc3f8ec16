package forward

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// maxTargetLen bounds a target URL; real ones are far shorter.
const maxTargetLen = 2048

// ParseTarget reads the URL of the developer's app (listen --forward-to,
// deliveries resend --to) and refuses, saying why, what cannot be one:
// anything but an absolute http(s) URL with a host, credentials in it (they
// would be stored and printed with every result), or a fragment.
func ParseTarget(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("the URL is empty; give one like http://127.0.0.1:3000/webhooks/calendly")
	}
	if len(raw) > maxTargetLen {
		return nil, fmt.Errorf("the URL is %d bytes long; at most %d are accepted", len(raw), maxTargetLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err
		}
		return nil, fmt.Errorf("it is not a URL (%v); give one like http://127.0.0.1:3000/webhooks/calendly", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("it must start with http:// or https://, like http://127.0.0.1:3000/webhooks/calendly")
	case u.Opaque != "" || u.Host == "":
		return nil, errors.New("it has no host; give one like http://127.0.0.1:3000/webhooks/calendly")
	case u.User != nil:
		return nil, errors.New("it carries a user name or password; calwatch stores and prints the URL, so put no credentials in it")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, errors.New("it has a #fragment, which is never sent; remove it")
	}
	if u.Hostname() == "" {
		return nil, errors.New("it has no host name; give one like http://127.0.0.1:3000/webhooks/calendly")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("its port %q is not between 1 and 65535", p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return nil, errors.New("it has an empty port after the colon; remove the colon or add a port")
	}
	// The URL is kept and shown as u.String(), which escapes what the raw
	// form did not: that form must fit too.
	if n := len(u.String()); n > maxTargetLen {
		return nil, fmt.Errorf("the URL is %d bytes long once escaped; at most %d are accepted", n, maxTargetLen)
	}
	return u, nil
}

// PlainRemote reports whether deliveries to u would cross a network in the
// clear: plain http to a host that is not this machine.
func PlainRemote(u *url.URL) bool {
	return u.Scheme == "http" && !IsLoopback(u.Hostname())
}

// IsLoopback reports whether host names this machine: localhost (and its
// subdomains, which resolve to loopback by RFC 6761) or a loopback address.
func IsLoopback(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
