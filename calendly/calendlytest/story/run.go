package story

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// Defaults for Options.
const (
	DefaultTimeout = 15 * time.Second // Calendly's wait for an answer
	DefaultWait    = 10 * time.Second // for the emulator to make a step's deliveries
	maxStatusBytes = 8 << 20
	maxAnswerBytes = 64 << 10
)

// Options say where a story's deliveries go.
type Options struct {
	To         string // the developer's webhook endpoint
	SigningKey []byte
	// StatusURL overrides the scenario's status_url.
	StatusURL string
	// Status, when there is no status URL, reads the status JSON another
	// way (calwatch reads its own store); nil skips checks.
	Status  func(ctx context.Context) (any, error)
	Timeout time.Duration // per request (default DefaultTimeout)
	Wait    time.Duration // for the emulator's deliveries (default DefaultWait)
	Client  *http.Client  // default: no redirects followed
}

// Sent is one delivery sent to the endpoint.
type Sent struct {
	Step   int    `json:"step"`
	Event  string `json:"event"`
	Quirk  string `json:"quirk,omitempty"`
	Status int    `json:"status"` // 0 when there was no answer, -1 when dropped
	Error  string `json:"error,omitempty"`
}

// Failure is an expectation that did not hold.
type Failure struct {
	Step     int    `json:"step"`
	Line     int    `json:"line"`
	What     string `json:"what"` // the step, in a few words
	Expected string `json:"expected"`
	Got      string `json:"got"`
}

func (f Failure) String() string {
	return fmt.Sprintf("step %d (line %d) %s: expected %s, got %s", f.Step, f.Line, f.What, f.Expected, f.Got)
}

// Result is one scenario's run.
type Result struct {
	Scenario string    `json:"scenario"`
	File     string    `json:"file"`
	Pass     bool      `json:"pass"`
	Sent     []Sent    `json:"sent"`
	Checks   int       `json:"checks"`  // expectations on the status endpoint that held
	Skipped  int       `json:"skipped"` // checks skipped for want of a status URL
	Failures []Failure `json:"failures"`
}

// person is what a name in the story stands for.
type person struct {
	email, event, invitee, oldEvent, oldInvitee string
}

// captured is one delivery the emulator made.
type captured struct {
	event string
	body  []byte
}

// outgoing is one request to send to the endpoint.
type outgoing struct {
	step      int
	event     string
	body      []byte
	quirk     string
	signature string // "" to sign at send time
	delay     time.Duration
	dropped   bool
}

var variable = regexp.MustCompile(`\$\{([^}.]+)\.([a-z_]+)\}`)

// Run plays sc against the endpoint: each step is made in a fresh in-process
// emulator, its deliveries are captured, re-signed with the endpoint's key
// and sent with the step's quirk; check steps read the status endpoint.
// It returns an error only when the story cannot be played at all.
func Run(ctx context.Context, sc *Scenario, opts Options) (*Result, error) {
	if len(opts.SigningKey) == 0 {
		return nil, errors.New("story: no signing key")
	}
	if u, err := url.Parse(opts.To); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("story: %q is not an http(s) URL to send deliveries to", opts.To)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	if opts.Client == nil {
		opts.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opts.StatusURL == "" {
		opts.StatusURL = sc.StatusURL
	}
	r := &runner{opts: opts, sc: sc, people: map[string]*person{}, res: &Result{Scenario: sc.Name, File: sc.File, Sent: []Sent{}, Failures: []Failure{}}}
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	defer r.close()
	for i, st := range sc.Steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if !r.step(ctx, i+1, st) {
			break
		}
	}
	r.sendAll(ctx, r.held) // what was delayed past the end arrives last
	r.res.Pass = len(r.res.Failures) == 0
	return r.res, nil
}

type runner struct {
	opts   Options
	sc     *Scenario
	emu    *calendlytest.Server
	relay  *http.Server
	inbox  chan captured
	people map[string]*person
	held   []outgoing
	res    *Result
}

// start runs an emulator whose one webhook subscription points at a relay
// in this process, which captures each delivery for the story to send on.
func (r *runner) start(ctx context.Context) error {
	var tok [16]byte
	crand.Read(tok[:])
	pat := "story-" + hex.EncodeToString(tok[:])
	r.emu = calendlytest.NewServer(calendlytest.Options{Tokens: []string{pat}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		r.emu.Close()
		return fmt.Errorf("story: cannot listen for the emulator's deliveries: %w", err)
	}
	r.inbox = make(chan captured, 64)
	r.relay = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var env struct {
			Event string `json:"event"`
		}
		json.Unmarshal(body, &env)
		select {
		case r.inbox <- captured{event: env.Event, body: body}:
			w.WriteHeader(http.StatusOK)
		case <-req.Context().Done():
		}
	})}
	go r.relay.Serve(ln)
	client, err := calendly.NewClient(calendly.StaticToken(pat), calendly.WithBaseURL(r.emu.URL))
	if err == nil {
		var me *calendly.User
		if me, _, err = client.Users.Me(ctx); err == nil {
			_, _, err = client.WebhookSubscriptions.Create(ctx, calendly.CreateWebhookSubscriptionRequest{
				URL:          "http://" + ln.Addr().String() + "/relay",
				Events:       []string{calendly.EventInviteeCreated, calendly.EventInviteeCanceled, calendly.EventInviteeNoShowCreated, calendly.EventInviteeNoShowDeleted},
				Organization: r.emu.Organization(), User: me.URI, Scope: calendly.ScopeUser, SigningKey: string(r.opts.SigningKey),
			})
		}
	}
	if err != nil {
		r.close()
		return fmt.Errorf("story: the emulator could not be set up: %w", err)
	}
	return nil
}

func (r *runner) close() {
	r.emu.Close()
	r.relay.Close()
}

func (r *runner) fail(n int, st Step, expected, got string) {
	r.res.Failures = append(r.res.Failures, Failure{Step: n, Line: st.Line, What: st.Describe(), Expected: expected, Got: got})
}

// step plays one step; false stops the story (the emulator refused it).
func (r *runner) step(ctx context.Context, n int, st Step) bool {
	if st.Action == ActionCheck {
		r.check(ctx, n, st)
		return true
	}
	want, err := r.act(st)
	if err != nil {
		r.fail(n, st, "the emulator to "+st.Action, "it refused: "+err.Error())
		return false
	}
	var made []captured
	deadline := time.NewTimer(r.opts.Wait)
	defer deadline.Stop()
	for len(made) < want {
		select {
		case c := <-r.inbox:
			made = append(made, c)
		case <-deadline.C:
			r.fail(n, st, fmt.Sprintf("%d deliveries from the emulator", want), fmt.Sprintf("%d within %s", len(made), r.opts.Wait))
			return false
		case <-ctx.Done():
			return false
		}
	}
	var out []outgoing
	for _, c := range made {
		o := outgoing{step: n, event: c.event, body: c.body, quirk: st.Quirk}
		switch st.Quirk {
		case QuirkDuplicate:
			o.signature = calendly.Sign(r.opts.SigningKey, time.Now(), c.body)
			out = append(out, o, o)
		case QuirkRetry:
			again := o
			again.delay = time.Second // the retry is signed a second later
			out = append(out, o, again)
		case QuirkDrop:
			o.dropped = true
			out = append(out, o)
		default:
			out = append(out, o)
		}
	}
	if st.Quirk == QuirkReversed {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	if st.Quirk == QuirkDelay {
		r.held = append(r.held, out...)
		return true
	}
	late := r.held
	r.held = nil
	r.sendAll(ctx, append(out, late...))
	return true
}

// act makes the step's change in the emulator and says how many
// deliveries it makes.
func (r *runner) act(st Step) (int, error) {
	now := time.Now()
	switch st.Action {
	case ActionBook:
		name := st.Name
		if name == "" {
			name = st.Who
		}
		req := calendlytest.BookRequest{Email: st.Email, Name: name, EventName: st.EventName, StartTime: st.startAt(now), Guests: st.Guests, MaxInvitees: st.MaxInvitees}
		if st.Join != "" {
			req.Event = r.people[st.Join].event
		}
		res, err := r.emu.Book(req)
		if err != nil {
			return 0, err
		}
		r.people[st.Who] = &person{email: st.Email, event: res.Event, invitee: res.Invitee}
		return 1, nil
	case ActionCancel:
		return 1, r.emu.Cancel(calendlytest.CancelRequest{Invitee: r.people[st.Who].invitee, Reason: st.Reason, By: st.By})
	case ActionReschedule:
		p := r.people[st.Who]
		res, err := r.emu.Reschedule(calendlytest.RescheduleRequest{Invitee: p.invitee, StartTime: st.startAt(now)})
		if err != nil {
			return 0, err
		}
		p.oldEvent, p.oldInvitee, p.event, p.invitee = p.event, p.invitee, res.Event, res.Invitee
		return 2, nil
	case ActionNoShow:
		return 1, r.emu.MarkNoShow(r.people[st.Who].invitee)
	case ActionRemoveNoShow:
		return 1, r.emu.RemoveNoShow(r.people[st.Who].invitee)
	}
	return 0, fmt.Errorf("unknown action %q", st.Action)
}

func (r *runner) sendAll(ctx context.Context, out []outgoing) {
	for _, o := range out {
		s := Sent{Step: o.step, Event: o.event, Quirk: o.quirk}
		if o.dropped {
			s.Status = -1
			r.res.Sent = append(r.res.Sent, s)
			continue
		}
		sig := o.signature
		if sig == "" {
			sig = calendly.Sign(r.opts.SigningKey, time.Now().Add(o.delay), o.body)
		}
		s.Status, s.Error = r.post(ctx, o.body, sig)
		r.res.Sent = append(r.res.Sent, s)
		if s.Status < 200 || s.Status > 299 {
			got := fmt.Sprintf("%d", s.Status)
			if s.Status == 0 {
				got = "no answer: " + s.Error
			}
			r.fail(o.step, r.sc.Steps[o.step-1], o.event+" answered 2xx", got)
		}
	}
}

func (r *runner) post(ctx context.Context, body []byte, signature string) (int, string) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.opts.To, bytes.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Calendly-Webhooks/2.0 (calwatch scenario)")
	req.Header.Set(calendly.SignatureHeader, signature)
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, err.Error()
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerBytes))
	resp.Body.Close()
	return resp.StatusCode, ""
}
