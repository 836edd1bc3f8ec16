// Package calendlytest is a faithful Calendly emulator, as net/http/httptest
// is for HTTP: one origin that serves Calendly's OAuth and API v2 paths with
// Calendly's status codes, bodies and headers, delivers signed webhooks to
// subscribers with Calendly's retry rules, and offers a scenario API under
// /_emulator/ to book, cancel, reschedule and mark no-shows. Tests, the demo
// and `calwatch emulator` all run on it.
package calendlytest

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Options configure an emulator. The zero value is usable.
type Options struct {
	// Tokens are personal access tokens accepted as Bearer for the default user.
	Tokens []string
	// ClientID and ClientSecret identify the one OAuth app the emulator knows.
	ClientID, ClientSecret string
	// SigningKey is the OAuth app's webhook signing key.
	SigningKey string
	// RedirectURIs are the OAuth app's registered redirect URIs:
	// /oauth/authorize accepts only an exact match of one of them (default
	// DefaultRedirectURI, calwatch login's loopback callback).
	RedirectURIs []string
	// AutoApprove answers /oauth/authorize with an immediate redirect.
	AutoApprove bool
	// AccessTokenTTL is expires_in for new access tokens (default 2h).
	AccessTokenTTL time.Duration
	// Plan is the account's Calendly plan: PlanFree has no webhooks (creating
	// a subscription answers Calendly's 403), so a client's polling path
	// can be exercised; "" or PlanStandard has them.
	Plan string
	// RateLimit is requests per minute per token (0: unlimited).
	RateLimit int
	// RetryBase and RetryWindow shape webhook retries (defaults 1m and 24h).
	RetryBase, RetryWindow time.Duration
	// Seed seeds the scenario generator; Live is its rate in changes per
	// minute once started (0: none).
	Seed int64
	Live float64
	// LiveFirst, when set with Live, holds the live changes back until the
	// first webhook subscription is created and makes the first one this
	// long after it (then at Live's pace), so a client that has just
	// subscribed sees a delivery at once. Zero: the first change comes as
	// the server starts, subscribed or not.
	LiveFirst time.Duration
	// History is how many changes a seeded history makes over the 30 days
	// before the start (default 80).
	History int
	// Now is the emulator's clock (default time.Now).
	Now func() time.Time
	// DeliveryClient sends webhooks (default: 10 s connect, 15 s read, no redirects).
	DeliveryClient *http.Client
}

// The plans Options.Plan knows.
const (
	PlanFree     = "free"
	PlanStandard = "standard"
)

// Server is an emulator: a Calendly origin on a local listener. It is safe
// for concurrent use.
type Server struct {
	// URL is the emulator's origin, e.g. http://127.0.0.1:51234. Every
	// resource URI it hands out starts with it.
	URL string

	opts      Options
	now       func() time.Time
	listener  net.Listener
	http      *http.Server
	mux       *http.ServeMux
	auth      *authority
	deliverer *deliverer
	// outbox hands one delivery to the deliverer; tests may watch it.
	outbox func(target deliveryTarget, event string, body []byte)

	mu sync.Mutex // guards st
	st *state
	// enqueueMu keeps deliveries in the order their changes happened
	// without holding mu while the deliverer runs.
	enqueueMu sync.Mutex

	// stop is closed when the server closes; background work (the
	// generator) selects on it and is counted in background, which Close
	// waits for.
	stop       chan struct{}
	background sync.WaitGroup
	startOnce  sync.Once
	closeOnce  sync.Once

	// subscribed is closed when the first webhook subscription is created
	// (Options.LiveFirst waits for it).
	subscribed     chan struct{}
	subscribedOnce sync.Once
}

// NewServer starts an emulator on 127.0.0.1 at a free port, as
// httptest.NewServer does. Close it when done.
func NewServer(opts Options) *Server {
	s := NewUnstartedServer(opts)
	s.Start()
	return s
}

// NewUnstartedServer makes an emulator listening on 127.0.0.1 at a free
// port but not yet serving: URL is known, so a test can set up subscriptions
// or bookings before Start.
func NewUnstartedServer(opts Options) *Server {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("calendlytest: failed to listen on a port: %v", err))
	}
	return newServer(l, opts)
}

// Listen starts an emulator on addr (host:port; an empty host means all
// interfaces, reached as 127.0.0.1), for `calwatch emulator --addr`.
func Listen(addr string, opts Options) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("emulator cannot listen on %s: %w (choose another --addr)", addr, err)
	}
	s := newServer(l, opts)
	s.Start()
	return s, nil
}

func newServer(l net.Listener, opts Options) *Server {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		URL:      originOf(l.Addr()),
		opts:     opts,
		now:      now,
		listener: l,
		mux:      http.NewServeMux(),
		stop:     make(chan struct{}),
	}
	s.subscribed = make(chan struct{})
	s.st = newState(s.URL, now(), opts.Seed)
	origin := s.URL
	s.auth = newAuthority(opts, s.st.defaultUser().URI, func() string { return origin }, now)
	s.auth.setOrganization(s.st.organization)
	s.deliverer = newDeliverer(opts, now, deliveryHooks{
		retrying:  s.subscriptionRetrying,
		recovered: s.subscriptionRecovered,
		disable:   s.disableSubscription,
		remove:    s.removeSubscription,
	})
	s.outbox = s.deliverer.enqueue
	s.routes()
	s.http = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return s
}

// originOf is the http origin for a listener address; an unspecified host
// (0.0.0.0, ::) is reached through loopback.
func originOf(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String()
	}
	host := tcp.IP.String()
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(tcp.Port))
}

// Start serves requests and starts the scenario generator. Calling it again
// does nothing.
func (s *Server) Start() {
	s.startOnce.Do(func() {
		s.background.Add(1)
		go func() {
			defer s.background.Done()
			// Serve only returns when Close closes the server or the listener.
			s.http.Serve(s.listener)
		}()
		s.startGenerator()
	})
}

// Close stops serving, stops the generator and pending webhook retries, and
// waits for them. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		s.http.Close()
		s.listener.Close()
		s.background.Wait()
		s.deliverer.close()
	})
}

// Handler is the emulator's whole HTTP surface, for mounting elsewhere.
// Resource URIs still use URL.
func (s *Server) Handler() http.Handler { return s.mux }

// DefaultUser is the user personal access tokens and OAuth grants belong to.
func (s *Server) DefaultUser() calendly.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.st.defaultUser()
}

// Organization is the URI of the emulator's one organization.
func (s *Server) Organization() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.organization
}

func (s *Server) routes() {
	s.auth.registerRoutes(s.mux)
	s.registerUserRoutes()
	s.registerSubscriptionRoutes()
	s.registerEventRoutes()
	s.registerNoShowRoutes()
	s.registerScenarioRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { writeError(w, errNotFound()) })
}

// apiHandler answers one authenticated API request: a status and a body to
// encode (nil for none), or an error to answer in Calendly's shape.
type apiHandler func(r *http.Request, caller string) (status int, body any, err error)

// api authenticates a request for scope before handing it to h.
func (s *Server) api(scope string, h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		caller, ok := s.auth.authenticate(w, r, scope)
		if !ok {
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		status, body, err := h(r, caller)
		switch {
		case err != nil:
			writeError(w, err)
		case body == nil:
			w.WriteHeader(status)
		default:
			writeJSON(w, status, body)
		}
	}
}

// maxRequestBody bounds every request body the emulator reads.
const maxRequestBody = 1 << 20

// resource is the {"resource": …} envelope of single-resource answers.
type resource[T any] struct {
	Resource T `json:"resource"`
}
