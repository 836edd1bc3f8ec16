package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// CalendlyTimeout is how long Calendly waits for an answer before it counts
// a delivery as failed and retries it.
const CalendlyTimeout = 15 * time.Second

// maxAnswerRead bounds how much of an answer's body is read.
const maxAnswerRead = 64 << 10

// Options say where the audit sends its probes and how.
type Options struct {
	URL        string // the endpoint, absolute http(s)
	SigningKey []byte // the key the endpoint verifies with
	// Probes to send (default Probes).
	Probes []Probe
	// Timeout is how long one answer may take (default CalendlyTimeout).
	Timeout time.Duration
	// Client sends the probes (default: no redirects followed).
	Client *http.Client
	// Now is the clock signatures are made with (default time.Now).
	Now func() time.Time
	// Progress, if set, hears of each result as soon as it is graded.
	Progress func(Result)
}

// Answer is how the endpoint answered one request.
type Answer struct {
	Status   int           `json:"status"` // 0 when there was no answer
	Latency  time.Duration `json:"-"`
	Millis   float64       `json:"latency_ms"`
	Location string        `json:"location,omitempty"` // a redirect's target
	Error    string        `json:"error,omitempty"`    // why there was no answer
}

// Result is one probe: what was sent, what came back, and the verdict.
type Result struct {
	Name     string   `json:"name"`
	Must     Must     `json:"must"`
	Sent     string   `json:"sent"`
	Expected string   `json:"expected"`
	Answers  []Answer `json:"answers"`
	Pass     bool     `json:"pass"`
	Verdict  string   `json:"verdict"`
	// Why is what a failing endpoint gets wrong ("" when it passed).
	Why string `json:"why,omitempty"`
}

// Run sends every probe to the endpoint, one at a time in order, and
// grades the answers. It returns an error only when the audit itself cannot
// run (bad options, ctx done); an endpoint that cannot be reached fails its
// probes.
func Run(ctx context.Context, opts Options) (*Report, error) {
	target, err := url.Parse(opts.URL)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return nil, fmt.Errorf("audit: %q is not an http(s) URL", opts.URL)
	}
	if len(opts.SigningKey) == 0 {
		return nil, errors.New("audit: no signing key")
	}
	if opts.Probes == nil {
		opts.Probes = Probes
	}
	if opts.Timeout <= 0 {
		opts.Timeout = CalendlyTimeout
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Client == nil {
		opts.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	var seed [16]byte
	crand.Read(seed[:])
	rnd := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	report := &Report{URL: target.Redacted()}
	for _, p := range opts.Probes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := runProbe(ctx, opts, p, rnd)
		if err != nil {
			return nil, fmt.Errorf("audit: probe %q: %w", p.Name, err)
		}
		report.Results = append(report.Results, res)
		if opts.Progress != nil {
			opts.Progress(res)
		}
	}
	report.grade()
	return report, nil
}

// request is one signed request ready to send.
type request struct {
	body      []byte
	signature string // "" for no header
}

func runProbe(ctx context.Context, opts Options, p Probe, rnd *rand.Rand) (Result, error) {
	now := opts.Now()
	body, err := BuildBody(p.Body, p.Event, now, rnd)
	if err != nil {
		return Result{}, err
	}
	signedAt := now.Add(p.Skew)
	first := request{body: body}
	switch p.Sign {
	case SignGood:
		first.signature = calendly.Sign(opts.SigningKey, signedAt, body)
	case SignNone:
	case SignMalformed:
		first.signature = "sha256=" + hex.EncodeToString(rawMAC(opts.SigningKey, body))
	case SignNoT:
		first.signature = "v1=" + hex.EncodeToString(rawMAC(opts.SigningKey, []byte(unix(signedAt)+"."+string(body))))
	case SignWrongKey:
		first.signature = calendly.Sign(append([]byte("not-"), opts.SigningKey...), signedAt, body)
	case SignOtherBody:
		other, err := BuildBody(BodyCalendly, p.Event, now, rnd)
		if err != nil {
			return Result{}, err
		}
		first.signature = calendly.Sign(opts.SigningKey, signedAt, other)
	case SignNoPrefix:
		first.signature = "t=" + unix(signedAt) + ",v1=" + hex.EncodeToString(rawMAC(opts.SigningKey, body))
	case SignRotated:
		old := calendly.Sign([]byte("retired-"+string(opts.SigningKey)), signedAt, body)
		good := calendly.Sign(opts.SigningKey, signedAt, body)
		first.signature = old + good[len("t="+unix(signedAt)):]
	default:
		return Result{}, fmt.Errorf("unknown signing %q", p.Sign)
	}
	requests := []request{first}
	switch p.Repeat {
	case RepeatExact:
		requests = append(requests, first)
	case RepeatRetry:
		requests = append(requests, request{body: body, signature: calendly.Sign(opts.SigningKey, signedAt.Add(time.Second), body)})
	}
	res := Result{Name: p.Name, Must: p.Must, Sent: describe(p, len(body), len(requests)), Expected: expected(p.Must)}
	for _, r := range requests {
		res.Answers = append(res.Answers, send(ctx, opts, r))
	}
	res.Pass, res.Verdict = judge(p, res.Answers)
	if !res.Pass {
		res.Why = p.Why
		for _, a := range res.Answers {
			if p.Must == MustAccept && a.Status == 0 {
				res.Why = "it does not answer in time (or at all): Calendly counts that as a failure and retries"
			}
		}
	}
	return res, nil
}

// rawMAC is hex-less HMAC-SHA256(key, msg), for signatures made wrong on
// purpose.
func rawMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

func send(ctx context.Context, opts Options, r request) Answer {
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, opts.URL, bytes.NewReader(r.body))
	if err != nil {
		return Answer{Error: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Calendly-Webhooks/2.0 (calwatch audit)")
	if r.signature != "" {
		req.Header.Set(calendly.SignatureHeader, r.signature)
	}
	start := time.Now()
	resp, err := opts.Client.Do(req)
	if err != nil {
		a := Answer{Latency: time.Since(start), Error: noAnswer(err, opts.Timeout)}
		a.Millis = millis(a.Latency)
		return a
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerRead))
	resp.Body.Close()
	a := Answer{Status: resp.StatusCode, Latency: time.Since(start), Location: resp.Header.Get("Location")}
	a.Millis = millis(a.Latency)
	return a
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func noAnswer(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s (Calendly gives up and retries)", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

func expected(m Must) string {
	if m == MustAccept {
		return "2xx"
	}
	return "not 2xx"
}

func describe(p Probe, size, times int) string {
	s := fmt.Sprintf("%s, %s body (%d bytes), signature %s", p.Event, p.Body, size, p.Sign)
	if p.Skew != 0 {
		s += fmt.Sprintf(" with t %+ds", int(p.Skew.Seconds()))
	}
	switch p.Repeat {
	case RepeatExact:
		s += ", sent twice exactly"
	case RepeatRetry:
		s += ", then again signed a second later"
	}
	return s
}

// judge grades a probe's answers.
func judge(p Probe, answers []Answer) (bool, string) {
	for i, a := range answers {
		nth := ""
		if len(answers) > 1 {
			nth = fmt.Sprintf(" (request %d of %d)", i+1, len(answers))
		}
		ok2xx := a.Status >= 200 && a.Status <= 299
		switch p.Must {
		case MustAccept:
			if a.Status == 0 {
				return false, "no answer" + nth + ": " + a.Error
			}
			if !ok2xx {
				return false, fmt.Sprintf("answered %d%s, want 2xx", a.Status, nth)
			}
		case MustRefuse:
			if a.Status == 0 && p.Body == BodyOversized {
				return true, "the connection was closed before the body was read"
			}
			if a.Status == 0 {
				return false, "no answer" + nth + ": " + a.Error
			}
			if ok2xx {
				return false, fmt.Sprintf("answered %d%s, want a refusal", a.Status, nth)
			}
		}
	}
	codes := ""
	for i, a := range answers {
		if i > 0 {
			codes += ", "
		}
		codes += strconv.Itoa(a.Status)
	}
	return true, "answered " + codes
}
