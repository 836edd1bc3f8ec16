package story_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest/story"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener"
)

const testKey = "story-test-signing-key"

// calwatchEndpoint is calwatch's own listener over a real store, and the
// equivalent of `calwatch events list --json` as its status endpoint.
func calwatchEndpoint(t *testing.T) (webhook, status string) {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h, err := listener.NewHandler(listener.Config{SigningKey: []byte(testKey), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(listener.DefaultPath, h)
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		events, err := store.ListEvents(r.Context(), storage.EventFilter{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(events)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + listener.DefaultPath, srv.URL + "/status"
}

func TestShippedScenariosPassAgainstCalwatch(t *testing.T) {
	scenarios, err := story.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if len(scenarios) < 6 {
		t.Fatalf("%d shipped scenarios; the common stories need more", len(scenarios))
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			webhook, status := calwatchEndpoint(t)
			res, err := story.Run(context.Background(), sc, story.Options{To: webhook, SigningKey: []byte(testKey), StatusURL: status})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range res.Failures {
				t.Error(f)
			}
			if res.Checks == 0 || res.Skipped != 0 {
				t.Errorf("%d checks held, %d skipped: every shipped scenario checks what was stored", res.Checks, res.Skipped)
			}
		})
	}
}

// recorder is an endpoint that answers status(event) and remembers the
// order of the events it got.
type recorder struct {
	mu     sync.Mutex
	events []string
	sigs   []string
}

func (rec *recorder) serve(t *testing.T, status func(event string) int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
		}
		if _, err := calendly.Verify(r.Header.Get(calendly.SignatureHeader), body, []byte(testKey), time.Now(), 0); err != nil {
			t.Errorf("the story sent a delivery that does not verify: %v", err)
		}
		var env struct {
			Event string `json:"event"`
		}
		json.Unmarshal(body, &env)
		rec.mu.Lock()
		rec.events = append(rec.events, env.Event)
		rec.sigs = append(rec.sigs, r.Header.Get(calendly.SignatureHeader))
		rec.mu.Unlock()
		w.WriteHeader(status(env.Event))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func run(t *testing.T, src, to, status string) *story.Result {
	t.Helper()
	sc, err := story.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := story.Run(context.Background(), sc, story.Options{To: to, SigningKey: []byte(testKey), StatusURL: status})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestQuirksShapeWhatIsSent(t *testing.T) {
	ok := func(string) int { return http.StatusOK }
	cases := []struct {
		name, steps string
		want        string
		sameSig     [2]int // indexes whose signatures must be equal (duplicate) or differ (retry); {0,0}: none
		equal       bool
	}{
		{"reversed", "  - reschedule: a\n    quirk: reversed\n", "invitee.created invitee.created invitee.canceled", [2]int{}, false},
		{"in order", "  - reschedule: a\n", "invitee.created invitee.canceled invitee.created", [2]int{}, false},
		{"duplicate", "  - cancel: a\n    quirk: duplicate\n", "invitee.created invitee.canceled invitee.canceled", [2]int{1, 2}, true},
		{"retry", "  - cancel: a\n    quirk: retry\n", "invitee.created invitee.canceled invitee.canceled", [2]int{1, 2}, false},
		{"drop", "  - no_show: a\n    quirk: drop\n  - remove_no_show: a\n", "invitee.created invitee_no_show.deleted", [2]int{}, false},
		{"delay", "  - no_show: a\n    quirk: delay\n  - cancel: a\n", "invitee.created invitee.canceled invitee_no_show.created", [2]int{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			res := run(t, "steps:\n  - book: a\n    email: a@example.com\n"+c.steps, rec.serve(t, ok), "")
			if !res.Pass {
				t.Fatalf("failures: %v", res.Failures)
			}
			if got := strings.Join(rec.events, " "); got != c.want {
				t.Errorf("sent %s, want %s", got, c.want)
			}
			if c.sameSig != [2]int{} {
				if same := rec.sigs[c.sameSig[0]] == rec.sigs[c.sameSig[1]]; same != c.equal {
					t.Errorf("signatures equal: %v, want %v", same, c.equal)
				}
			}
		})
	}
}

func TestFailingDeliveryNamesTheStep(t *testing.T) {
	rec := &recorder{}
	to := rec.serve(t, func(event string) int {
		if event == calendly.EventInviteeCanceled {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	res := run(t, "steps:\n  - book: a\n    email: a@example.com\n  - cancel: a\n", to, "")
	if res.Pass || len(res.Failures) != 1 {
		t.Fatalf("want one failure, got %v", res.Failures)
	}
	got := res.Failures[0].String()
	for _, want := range []string{"step 2", "line 4", "cancel a", "expected invitee.canceled answered 2xx", "got 500"} {
		if !strings.Contains(got, want) {
			t.Errorf("failure %q lacks %q", got, want)
		}
	}
}

func TestFailingCheckPrintsExpectedAndGot(t *testing.T) {
	webhook, status := calwatchEndpoint(t)
	res := run(t, `steps:
  - book: a
    email: a@example.com
  - check:
      - path: "[uri=${a.event}].status"
        equals: canceled
      - path: "[uri=${a.event}].nope"
        equals: 1
      - path: "[uri=${b.event}].status"
        equals: active
`, webhook, status)
	if res.Pass || len(res.Failures) != 3 {
		t.Fatalf("want three failures, got %v", res.Failures)
	}
	for i, want := range []string{`expected [uri=http`, `no key "nope"`, "unknown ${b.event}"} {
		if !strings.Contains(res.Failures[i].String(), want) {
			t.Errorf("failure %d %q lacks %q", i, res.Failures[i], want)
		}
	}
	if f := res.Failures[0]; !strings.HasSuffix(f.Expected, `.status = "canceled"`) || f.Got != `"active"` || f.Step != 2 {
		t.Errorf("failure %+v: want step 2, expected status canceled, got active", f)
	}
}

func TestChecksAreSkippedWithoutAStatusURL(t *testing.T) {
	rec := &recorder{}
	res := run(t, "steps:\n  - book: a\n    email: a@example.com\n  - check:\n      - path: '#'\n        equals: 1\n", rec.serve(t, func(string) int { return 200 }), "")
	if !res.Pass || res.Skipped != 1 || res.Checks != 0 {
		t.Errorf("pass %v, skipped %d, checks %d; want a pass with one skipped check", res.Pass, res.Skipped, res.Checks)
	}
}
