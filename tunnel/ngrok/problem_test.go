package ngrok

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
)

// codedError has the shape of ngrok-go's internal errors (legacy.Error:
// Error, Msg, ErrorCode), which is what the agent's disconnect events
// carry; the text is ngrok's own, which quotes the token.
type codedError struct{ msg, code string }

func (e codedError) Error() string     { return e.msg + "\n\n" + e.code }
func (e codedError) Msg() string       { return e.msg }
func (e codedError) ErrorCode() string { return e.code }

// publicError has the shape of ngrok.Error, what Listen returns.
type publicError struct{ msg, code string }

func (e publicError) Error() string { return e.msg }
func (e publicError) Code() string  { return e.code }

// authFailed wraps like ngrok-go's errAuthFailed{Remote: true}.
func authFailed(inner error) error { return fmt.Errorf("authentication failed: %w", inner) }

const token = "2abcDEFsecretTOKEN_0123456789"

func TestDiagnoseNgrokRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		kind ProblemKind
		code string
		says string
	}{
		{"malformed token", authFailed(codedError{"The authtoken you specified does not look like a proper ngrok authtoken.\nYour authtoken: " + token, "ERR_NGROK_105"}), TokenRefused, "ERR_NGROK_105", "refused the authtoken"},
		{"revoked token", authFailed(codedError{"The authtoken you specified is properly formed, but it is invalid.\nYour authtoken: " + token, "ERR_NGROK_107"}), TokenRefused, "ERR_NGROK_107", "dashboard.ngrok.com/get-started/your-authtoken"},
		{"no token", authFailed(codedError{"Usage of ngrok requires a verified account and authtoken.", "ERR_NGROK_4018"}), NoToken, "ERR_NGROK_4018", "NGROK_AUTHTOKEN"},
		{"session limit", authFailed(codedError{"Your account is limited to 1 simultaneous ngrok agent sessions.", "ERR_NGROK_108"}), SessionLimit, "ERR_NGROK_108", "stop the other ngrok agent"},
		{"domain of another account", publicError{"failed to start tunnel: This domain is reserved for another account.", "ERR_NGROK_320"}, DomainRefused, "ERR_NGROK_320", "--ngrok-domain"},
		{"verification not on plan", publicError{"Your account is not authorized to use webhook verification.", "ERR_NGROK_9016"}, PolicyRefused, "ERR_NGROK_9016", "--ngrok-verify"},
		{"unknown code in text only", errors.New("something new\n\nERR_NGROK_9999"), Refused, "ERR_NGROK_9999", "ngrok refused the tunnel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Diagnose(tc.err)
			if p.Kind != tc.kind || p.Code != tc.code {
				t.Errorf("kind %d code %q, want %d %q", p.Kind, p.Code, tc.kind, tc.code)
			}
			msg := p.Error()
			if !strings.Contains(msg, tc.says) || !strings.Contains(msg, tc.code) {
				t.Errorf("message %q does not say %q and %s", msg, tc.says, tc.code)
			}
			if strings.Contains(msg, token) || strings.Contains(msg, "\n") {
				t.Errorf("message %q quotes ngrok's text (the token) or spans lines", msg)
			}
		})
	}
}

func TestDiagnoseNetworkFailures(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}
	dial := func(errno error) error {
		return fmt.Errorf("failed to dial ngrok server with address \"127.0.0.1:9\": %w",
			&net.OpError{Op: "dial", Net: "tcp", Addr: addr, Err: &osSyscallError{errno}})
	}
	for _, tc := range []struct {
		name string
		err  error
		says string
	}{
		{"refused", dial(syscall.ECONNREFUSED), "connection to 127.0.0.1:9 was refused"},
		{"timed out", dial(syscall.ETIMEDOUT), "timed out"},
		{"no route", dial(syscall.ENETUNREACH), "no route"},
		{"dns", fmt.Errorf("failed to dial: %w", &net.DNSError{Err: "no such host", Name: "connect.ngrok-agent.com", IsNotFound: true}), "connect.ngrok-agent.com does not resolve"},
		{"deadline", fmt.Errorf("failed to dial: %w", context.DeadlineExceeded), "timed out"},
		{"unknown", errors.New("EOF"), "cannot reach ngrok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Diagnose(tc.err)
			if p.Kind != Unreachable || p.Code != "" || p.Definite() {
				t.Errorf("kind %d code %q definite %v, want Unreachable, no code, not definite", p.Kind, p.Code, p.Definite())
			}
			if !strings.Contains(p.Error(), tc.says) {
				t.Errorf("message %q does not say %q", p.Error(), tc.says)
			}
		})
	}
	if p := Diagnose(nil); p.Kind != NoAnswer || !strings.Contains(p.Error(), "no answer from ngrok") {
		t.Errorf("Diagnose(nil) = %d %q", p.Kind, p.Error())
	}
}

// osSyscallError wraps an errno as os.SyscallError does, so errors.Is sees it.
type osSyscallError struct{ err error }

func (e *osSyscallError) Error() string { return "connect: " + e.err.Error() }
func (e *osSyscallError) Unwrap() error { return e.err }

// FuzzDiagnose: whatever ngrok answers, the message is one of calwatch's
// own lines: one line, and nothing of ngrok's text (which may quote the
// token) but a well-formed error code.
func FuzzDiagnose(f *testing.F) {
	f.Add("The authtoken you specified is properly formed, but it is invalid.\n\nERR_NGROK_107")
	f.Add("ERR_NGROK_")
	f.Add("ERR_NGROK_1234567890")
	f.Add("\x1b[31mERR_NGROK_105\u202e")
	f.Fuzz(func(t *testing.T, text string) {
		planted := "PLANTED" + token
		for _, err := range []error{
			authFailed(codedError{text + planted, text}),
			publicError{planted + text, text},
			errors.New(text + planted),
		} {
			msg := Diagnose(err).Error()
			if strings.Contains(msg, planted) || strings.ContainsAny(msg, "\n\r\x1b\u202e") {
				t.Fatalf("message %q carries ngrok's text", msg)
			}
		}
	})
}
