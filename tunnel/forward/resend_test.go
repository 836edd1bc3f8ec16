package forward

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// openStore is a real store holding one applied and two refused deliveries.
func openStore(t *testing.T) (s *storage.Store, applied, refused, cut storage.DeliveryRecord) {
	t.Helper()
	ctx := context.Background()
	s, err := storage.Open(ctx, filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	body := sampleBody(t, "invitee.created", 1)
	now := time.Now()
	header := calendly.Sign(calendlyKey, now, body)
	sig, err := calendly.Verify(header, body, calendlyKey, now, calendly.DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := calendly.ParseDelivery(body)
	if err != nil {
		t.Fatal(err)
	}
	applied, err = s.RecordDelivery(ctx, storage.IncomingDelivery{ReceivedAt: now, SignatureHeader: header,
		ReplayKey: sig.ReplayKey(), Body: body, Parsed: parsed})
	if err != nil {
		t.Fatal(err)
	}
	refused, err = s.RecordRefused(ctx, storage.RefusedDelivery{ReceivedAt: now, SignatureHeader: "t=1,v1=00",
		Body: []byte(`{"event":"invitee.created","forged":true}`), Reason: "signature does not match"})
	if err != nil {
		t.Fatal(err)
	}
	cut, err = s.RecordRefused(ctx, storage.RefusedDelivery{ReceivedAt: now, Body: bytes.Repeat([]byte("x"), 2<<20),
		Reason: "body is larger than 1048576 bytes"})
	if err != nil {
		t.Fatal(err)
	}
	return s, applied, refused, cut
}

func TestResendSendsTheStoredBytesWithAFreshSignature(t *testing.T) {
	s, applied, refused, _ := openStore(t)
	app := newFakeApp(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("queued\n"))
	})
	signedAt := time.Now().Add(time.Minute).Truncate(time.Second)
	opts := ResendOptions{Target: app.url, SigningKey: forwardKey, Now: func() time.Time { return signedAt }}

	d, a, err := Resend(context.Background(), s, applied.ID, opts)
	if err != nil {
		t.Fatalf("Resend(%d): %v", applied.ID, err)
	}
	got := app.next(t)
	if sha256.Sum256(got.body) != sha256.Sum256(d.Body) || !bytes.Equal(got.body, applied.Body) {
		t.Error("the resent body differs from the stored one")
	}
	sig, err := calendly.Verify(got.header.Get(calendly.SignatureHeader), got.body, forwardKey, signedAt, calendly.DefaultTolerance)
	if err != nil {
		t.Fatalf("the resent signature does not verify with the new key: %v", err)
	}
	if !sig.Timestamp.Equal(signedAt) {
		t.Errorf("resent t = %v, want the fresh %v", sig.Timestamp, signedAt)
	}
	if got, want := got.header.Get(storage.ReplayOfHeader), strconv.FormatInt(applied.ID, 10); got != want {
		t.Errorf("%s = %q, want %q: the delivery it replays", storage.ReplayOfHeader, got, want)
	}
	if !a.OK() || a.Status != http.StatusAccepted || string(a.Body) != "queued\n" || a.StatusText != "Accepted" {
		t.Errorf("answer = %+v, want 202 Accepted with the app's body", a)
	}

	// A refused delivery stored whole can be resent too, as it was.
	if _, a, err := Resend(context.Background(), s, refused.ID, opts); err != nil || !a.OK() {
		t.Fatalf("Resend of a refused delivery kept whole = %v, %v", a, err)
	}
	if got := app.next(t); !bytes.Equal(got.body, refused.Body) {
		t.Errorf("the resent refused delivery is %q, want %q", got.body, refused.Body)
	}
}

func TestResendRefusesWhatItCannotSendAsReceived(t *testing.T) {
	s, _, _, cut := openStore(t)
	app := newFakeApp(t, nil)
	opts := ResendOptions{Target: app.url, SigningKey: forwardKey}
	if _, _, err := Resend(context.Background(), s, 999, opts); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Resend of a missing delivery: err = %v, want ErrNotFound", err)
	}
	if _, _, err := Resend(context.Background(), s, cut.ID, opts); !errors.Is(err, ErrNotResendable) {
		t.Errorf("Resend of a delivery kept only in part: err = %v, want ErrNotResendable", err)
	}
	if _, _, err := Resend(context.Background(), s, cut.ID, ResendOptions{Target: app.url}); err == nil {
		t.Error("Resend without a key succeeded")
	}
	if n := len(app.got); n != 0 {
		t.Errorf("the app got %d requests; want none", n)
	}
}

func TestResendReportsAnAppThatIsNotThere(t *testing.T) {
	s, applied, _, _ := openStore(t)
	app := newFakeApp(t, nil)
	app.srv.Close() // nothing listens there any more
	_, a, err := Resend(context.Background(), s, applied.ID, ResendOptions{Target: app.url, SigningKey: forwardKey})
	if err != nil {
		t.Fatalf("Resend: %v (an unreachable app belongs in the answer)", err)
	}
	if a.Err == nil || a.Status != 0 || a.OK() {
		t.Errorf("answer = %+v; want no status and why", a)
	}
}
