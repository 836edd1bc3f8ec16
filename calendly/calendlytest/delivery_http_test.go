package calendlytest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestRedirectCountsAsFailure(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var followed atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/moved", status)
			})
			mux.HandleFunc("/moved", func(http.ResponseWriter, *http.Request) { followed.Add(1) })
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)

			clock := newFakeClock()
			hooks := newHookLog()
			d := startDeliverer(t, Options{}, clock, hooks.hooks())
			d.enqueue(target(subA, srv.URL+"/hook"), calendly.EventInviteeCreated, []byte(`{}`))
			hooks.waitFor(t, "retrying "+subA+" since 09:00:00")

			a := waitAttempts(t, d, 1)[0]
			if a.Status != status || !strings.Contains(a.Error, "redirect") {
				t.Fatalf("attempt = %+v, want status %d recorded as a failed redirect", a, status)
			}
			d.close()
			if n := followed.Load(); n != 0 {
				t.Fatalf("the redirect was followed %d times", n)
			}
		})
	}
}

func TestCustomClientStillDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/moved", http.StatusFound) })
	mux.HandleFunc("/moved", func(http.ResponseWriter, *http.Request) { followed.Add(1) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	hooks := newHookLog()
	d := startDeliverer(t, Options{DeliveryClient: &http.Client{}}, newFakeClock(), hooks.hooks())
	d.enqueue(target(subA, srv.URL+"/hook"), calendly.EventInviteeCreated, []byte(`{}`))
	if a := waitAttempts(t, d, 1)[0]; a.Status != http.StatusFound {
		t.Fatalf("attempt = %+v, want the 302 itself", a)
	}
	d.close()
	if followed.Load() != 0 {
		t.Fatal("a DeliveryClient that follows redirects was used as is")
	}
}

func TestSlowReceiverHitsReadTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	hooks := newHookLog()
	d := startDeliverer(t, Options{DeliveryClient: &http.Client{Timeout: 50 * time.Millisecond}}, newFakeClock(), hooks.hooks())
	d.enqueue(target(subA, srv.URL), calendly.EventInviteeCreated, []byte(`{}`))
	hooks.waitFor(t, "retrying "+subA+" since 09:00:00")

	a := waitAttempts(t, d, 1)[0]
	if a.Status != 0 || !strings.Contains(a.Error, "timeout") {
		t.Fatalf("attempt = %+v, want no status and a timeout error", a)
	}
	if strings.Contains(a.Error, srv.URL) {
		t.Errorf("error %q repeats the callback URL, which may carry a secret path", a.Error)
	}
}

func TestSubscriptionWithoutSigningKeyIsDeliveredUnsigned(t *testing.T) {
	rc := newReceiver(t, always(http.StatusOK))
	d := startDeliverer(t, Options{}, newFakeClock(), newHookLog().hooks())
	unsigned := target(subA, rc.URL)
	unsigned.SigningKey = nil
	d.enqueue(unsigned, calendly.EventInviteeCreated, []byte(`{}`))
	if got := rc.next(t).header.Get(calendly.SignatureHeader); got != "" {
		t.Fatalf("signature header = %q, want none for a subscription without a signing key", got)
	}
}
