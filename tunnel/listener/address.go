package listener

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// maxPathLen bounds a webhook path; a secret path needs far less.
const maxPathLen = 256

// CheckPath refuses a webhook path that is not a plain absolute URL path:
// it must start with "/", use only letters, digits and "-._~/", and have
// no empty, "." or ".." segment, so the URL Calendly posts to is exactly
// the path the handler compares against.
func CheckPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("path %q must start with /", shorten(p))
	}
	if len(p) > maxPathLen {
		return fmt.Errorf("path is %d bytes long; keep it under %d", len(p), maxPathLen)
	}
	for _, c := range []byte(p) {
		if !isPathByte(c) {
			return fmt.Errorf("path %q has %q; use only letters, digits and -._~/", shorten(p), c)
		}
	}
	if p == "/" {
		return nil
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		switch seg {
		case "":
			return fmt.Errorf("path %q has an empty segment (// or a trailing /)", shorten(p))
		case ".", "..":
			return fmt.Errorf("path %q has a %q segment", shorten(p), seg)
		}
	}
	return nil
}

func isPathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '/'
}

// RandomPath is DefaultPath followed by 128 random bits in hex: a path
// nobody guesses, so stray traffic never reaches the signature check.
func RandomPath() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported systems
	return DefaultPath + "/" + hex.EncodeToString(b)
}

// CheckAddr refuses a listen address that is not HOST:PORT with a numeric
// port in 0–65535 (0 picks a free port). HOST may be empty (every
// interface), an IP address or a host name.
func CheckAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q is not HOST:PORT, e.g. 127.0.0.1:8080", shorten(addr))
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || port != strconv.FormatUint(n, 10) {
		return fmt.Errorf("port %q in %q is not a number from 0 to 65535", shorten(port), shorten(addr))
	}
	if host == "" || net.ParseIP(host) != nil {
		return nil
	}
	if !isHostName(host) {
		return fmt.Errorf("host %q in %q is neither an IP address nor a host name", shorten(host), shorten(addr))
	}
	return nil
}

func isHostName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// PublicWebhookURL joins the origin of a tunnel the user runs themselves
// (e.g. https://abc.example.com) with the webhook path. The origin must be
// an https URL (http only to this machine: deliveries carry names and
// email addresses, which must not cross a network in clear) with a host
// and nothing after it but an optional "/": the listener's path is what
// gets appended.
func PublicWebhookURL(origin, path string) (string, error) {
	u, err := url.Parse(origin)
	if err != nil {
		return "", fmt.Errorf("public URL %q does not parse; pass an origin like https://abc.example.com", shorten(origin))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("public URL %q must start with https://", shorten(origin))
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("public URL %q has no host", shorten(origin))
	case u.User != nil:
		return "", errors.New("public URL must not carry a user name or password")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(origin, "?#"):
		return "", fmt.Errorf("public URL %q must not have a query or fragment", shorten(origin))
	case u.Path != "" && u.Path != "/":
		return "", fmt.Errorf("public URL %q has a path; pass only the origin and choose the path with --path", shorten(origin))
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return "", fmt.Errorf("public URL %q would carry bookings' personal data in clear; use https:// (http:// only for localhost)", shorten(origin))
	}
	if err := CheckPath(path); err != nil {
		return "", err
	}
	return u.Scheme + "://" + u.Host + path, nil
}

// isLoopbackHost reports whether host names this machine: localhost or a
// loopback address.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LocalWebhookURL is the URL of a listener bound to addr. A wildcard
// address is reported as 127.0.0.1, which reaches it from this machine.
func LocalWebhookURL(addr net.Addr, path string) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + path
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path
}

// shorten keeps user input in error messages to one readable line.
func shorten(s string) string {
	const n = 80
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
