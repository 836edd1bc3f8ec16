package ngrok

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"regexp"
	"syscall"
)

// ProblemKind sorts what keeps the tunnel from coming online.
type ProblemKind int

const (
	NoToken       ProblemKind = iota + 1 // no authtoken, or ngrok asks for one
	TokenRefused                         // ngrok refused the authtoken
	SessionLimit                         // the account already runs as many agents as it may
	DomainRefused                        // the --ngrok-domain is not this account's
	PolicyRefused                        // ngrok refused the traffic policy (--ngrok-verify)
	Unreachable                          // ngrok's servers cannot be reached: DNS, network, firewall, proxy
	Refused                              // ngrok refused for another reason, with an error code
	NoAnswer                             // nothing was heard from ngrok at all
)

// Problem says in one line, for the user, what keeps the tunnel from coming
// online and what to do about it. It never carries ngrok's own message
// text, which may quote the authtoken: only the error code.
type Problem struct {
	Kind ProblemKind
	Code string // ngrok's error code, e.g. ERR_NGROK_105; "" when there is none
	msg  string
}

func (p *Problem) Error() string { return p.msg }

// Definite says retrying cannot help: the token, the domain or the policy
// must change first. Such a problem is reported at once, without waiting
// for the watchdog.
func (p *Problem) Definite() bool {
	switch p.Kind {
	case NoToken, TokenRefused, DomainRefused, PolicyRefused:
		return true
	}
	return false
}

const (
	tokenPage  = "https://dashboard.ngrok.com/get-started/your-authtoken"
	domainPage = "https://dashboard.ngrok.com/domains"
)

// ErrNoToken is the problem of a missing NGROK_AUTHTOKEN; Start returns it.
var ErrNoToken = &Problem{Kind: NoToken, msg: "no ngrok authtoken: set NGROK_AUTHTOKEN to the token from " + tokenPage + " (a free account has one)"}

// codeRE finds ngrok's error codes; ngrok-go parses them the same way.
var codeRE = regexp.MustCompile(`ERR_NGROK_[0-9]{1,6}`)

// Diagnose turns an error from the ngrok agent (the Error of an
// EventAgentDisconnected, or what Listen returned) into a Problem. A nil
// error means nothing was heard: NoAnswer.
func Diagnose(err error) *Problem {
	if err == nil {
		return &Problem{Kind: NoAnswer, msg: "no answer from ngrok yet: check the network, or a firewall or proxy that holds outgoing connections to port 443"}
	}
	if code := errorCode(err); code != "" {
		return codeProblem(code)
	}
	return networkProblem(err)
}

// errorCode is ngrok's error code in err: from ngrok.Error's Code, from the
// ErrorCode of ngrok-go's internal errors (what the agent's events carry),
// or from the text as a last resort.
func errorCode(err error) string {
	var public interface{ Code() string }
	if errors.As(err, &public) && codeRE.MatchString(public.Code()) {
		return codeRE.FindString(public.Code())
	}
	var internal interface{ ErrorCode() string }
	if errors.As(err, &internal) && codeRE.MatchString(internal.ErrorCode()) {
		return codeRE.FindString(internal.ErrorCode())
	}
	return codeRE.FindString(err.Error())
}

func codeProblem(code string) *Problem {
	p := &Problem{Code: code}
	see := " (" + code + ", see https://ngrok.com/docs/errors/" + lower(code) + ")"
	switch code {
	case "ERR_NGROK_4018":
		p.Kind, p.msg = NoToken, "ngrok needs an authtoken: set NGROK_AUTHTOKEN to the token from "+tokenPage+see
	case "ERR_NGROK_105", "ERR_NGROK_106", "ERR_NGROK_107":
		p.Kind, p.msg = TokenRefused, "ngrok refused the authtoken in NGROK_AUTHTOKEN: copy the current one from "+tokenPage+see
	case "ERR_NGROK_108":
		p.Kind, p.msg = SessionLimit, "your ngrok account already runs as many agents as its plan allows: stop the other ngrok agent, or use another account"+see
	case "ERR_NGROK_320", "ERR_NGROK_7117", "ERR_NGROK_7118", "ERR_NGROK_401":
		p.Kind, p.msg = DomainRefused, "ngrok will not serve the --ngrok-domain on this account: use a domain listed at "+domainPage+", or leave the flag out"+see
	case "ERR_NGROK_9016", "ERR_NGROK_2032", "ERR_NGROK_7027", "ERR_NGROK_15007":
		p.Kind, p.msg = PolicyRefused, "ngrok refused the webhook verification policy: leave out --ngrok-verify (calwatch verifies every delivery itself)"+see
	default:
		p.Kind, p.msg = Refused, "ngrok refused the tunnel"+see
	}
	return p
}

func networkProblem(err error) *Problem {
	p := &Problem{Kind: Unreachable}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &dnsErr):
		p.msg = "cannot reach ngrok: the name " + dnsErr.Name + " does not resolve; check the network connection"
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostErr):
		p.msg = "cannot reach ngrok: its TLS certificate was not accepted, so something between here and ngrok intercepts the connection (a proxy or firewall); set HTTPS_PROXY or ask whoever runs the network"
	case errors.Is(err, syscall.ECONNREFUSED):
		p.msg = "cannot reach ngrok: the connection to " + dialAddr(opErr, err) + " was refused; check the network, a firewall, or a proxy"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT), isTimeout(err):
		p.msg = "cannot reach ngrok: the connection to " + dialAddr(opErr, err) + " timed out; check the network, a firewall, or a proxy"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		p.msg = "cannot reach ngrok: no route to the internet; check the network connection"
	default:
		p.msg = "cannot reach ngrok (" + dialAddr(opErr, err) + "); check the network, a firewall, or a proxy; details in the ngrok log"
	}
	return p
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dialAddr names the address a failed dial went to, from Go's own dial
// error (never from text the far side sent).
func dialAddr(opErr *net.OpError, err error) string {
	if errors.As(err, &opErr) && opErr.Addr != nil {
		return opErr.Addr.String()
	}
	return "ngrok's servers"
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
