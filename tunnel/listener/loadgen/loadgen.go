package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Config is one load run.
type Config struct {
	URL         string // the webhook URL
	SigningKey  []byte
	Connections int // concurrent connections, each sending one delivery at a time (default 16)
	Total       int // deliveries to send (default 10,000); the run also ends when ctx is done
	// Shape is what the deliveries look like (default ShapeRealistic).
	Shape Shape
	// BodySize is the bytes per delivery of ShapePadded (default 3,072).
	BodySize int
	RunID    string
	// Deliveries, if set, are sent instead of generated ones (Total,
	// Shape, BodySize and RunID are then ignored).
	Deliveries []Delivery
	// Timeout bounds one request (default 30 s).
	Timeout time.Duration
	// OnOK, if set, is called with the running count of 2xx answers, one
	// call at a time.
	OnOK func(ok int)
}

// Shape is the kind of traffic a run sends.
type Shape string

const (
	// ShapeRealistic is Realistic's mix: random UUIDs, full payloads,
	// returning people, every invitee event kind.
	ShapeRealistic Shape = "realistic"
	// ShapePadded is the first benchmark's traffic, kept to compare with
	// its figures: invitee.created only, sequential URIs, one padded answer.
	ShapePadded Shape = "padded"
)

// Build returns the deliveries a run of cfg sends.
func (cfg Config) Build() ([]Delivery, error) {
	if cfg.Deliveries != nil {
		return cfg.Deliveries, nil
	}
	switch cfg.Shape {
	case ShapeRealistic, "":
		return Realistic(cfg.RunID, cfg.Total), nil
	case ShapePadded:
		out := make([]Delivery, cfg.Total)
		for i := range out {
			out[i] = InviteeCreated(cfg.RunID, i, cfg.BodySize)
		}
		return out, nil
	}
	return nil, fmt.Errorf("loadgen: unknown shape %q (want %q or %q)", cfg.Shape, ShapeRealistic, ShapePadded)
}

// Result is what a run measured.
type Result struct {
	Sent      int           // requests that got an answer or an error
	OK        int           // 2xx answers
	Status    map[int]int   // answers by status code
	Errors    int           // requests with no answer (refused connection, reset, timeout)
	FirstErr  error         // the first of those errors
	Elapsed   time.Duration // from the first request to the last answer
	Latencies []time.Duration
	// Accepted are the invitee URIs of every delivery answered 2xx, once
	// per delivery (a booking and its cancellation name one invitee
	// twice): each must be in the listener's delivery log as often.
	Accepted []string
}

// PerSecond is 2xx answers per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile is the q-th (0–1) latency of the answered requests.
func (r Result) Percentile(q float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.Latencies)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func (r Result) String() string {
	return fmt.Sprintf("%d sent, %d ok, %d errors, %.0f deliveries/s, p50 %s, p99 %s, status %v",
		r.Sent, r.OK, r.Errors, r.PerSecond(), r.Percentile(0.50).Round(10*time.Microsecond),
		r.Percentile(0.99).Round(10*time.Microsecond), r.Status)
}

// NewRunID returns a random id that keeps one run's deliveries distinct
// from every other run's.
func NewRunID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Run sends cfg.Total distinct signed deliveries over cfg.Connections
// connections and reports what came back. Bodies are built before the
// clock starts; each is signed just before it is sent. Deliveries go out in
// order, one connection each, so with many connections neighbours may
// overtake each other, as Calendly's do.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.URL == "" || len(cfg.SigningKey) == 0 {
		return Result{}, errors.New("loadgen: URL and signing key are required")
	}
	if cfg.Connections <= 0 {
		cfg.Connections = 16
	}
	if cfg.Total <= 0 {
		cfg.Total = 10_000
	}
	if cfg.BodySize <= 0 {
		cfg.BodySize = 3 << 10
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.RunID == "" {
		cfg.RunID = NewRunID()
	}
	deliveries, err := cfg.Build()
	if err != nil {
		return Result{}, err
	}
	transport := &http.Transport{
		MaxIdleConns:        cfg.Connections,
		MaxIdleConnsPerHost: cfg.Connections,
		MaxConnsPerHost:     cfg.Connections,
		DisableCompression:  true,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}

	var (
		next    atomic.Int64
		mu      sync.Mutex
		res     = Result{Status: map[int]int{}, Latencies: make([]time.Duration, 0, len(deliveries))}
		workers sync.WaitGroup
	)
	start := time.Now()
	for range cfg.Connections {
		workers.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(deliveries) {
					return
				}
				d := deliveries[i]
				began := time.Now()
				code, err := post(ctx, client, cfg.URL, cfg.SigningKey, d.Body)
				took := time.Since(began)
				mu.Lock()
				res.Sent++
				if err != nil {
					res.Errors++
					if res.FirstErr == nil {
						res.FirstErr = err
					}
				} else {
					res.Status[code]++
					res.Latencies = append(res.Latencies, took)
					if code/100 == 2 {
						res.OK++
						res.Accepted = append(res.Accepted, d.InviteeURI)
						if cfg.OnOK != nil {
							cfg.OnOK(res.OK)
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	workers.Wait()
	res.Elapsed = time.Since(start)
	return res, nil
}

func post(ctx context.Context, client *http.Client, url string, key, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(calendly.SignatureHeader, calendly.Sign(key, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
