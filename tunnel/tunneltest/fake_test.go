package tunneltest

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel"
)

func TestFakeReportsWhatTheTestMakesHappen(t *testing.T) {
	f := New()
	if f.URL() != "" {
		t.Fatalf("URL before GoOnline = %q, want empty", f.URL())
	}
	lost := errors.New("wifi gone")
	f.GoOnline("https://one.example")
	f.GoOffline(lost)
	f.Stick(lost)
	f.GoOnline("https://one.example")
	f.GoOnline("https://two.example")
	f.Fail(lost)
	f.GoOnline("https://three.example") // after Fail: ignored

	want := []tunnel.Event{
		tunnel.Online{URL: "https://one.example"},
		tunnel.Offline{Err: lost},
		tunnel.Stuck{Err: lost},
		tunnel.Online{URL: "https://one.example"},
		tunnel.URLChanged{Old: "https://one.example", New: "https://two.example"},
		tunnel.Online{URL: "https://two.example"},
		tunnel.Stopped{Err: lost},
	}
	var got []tunnel.Event
	for ev := range f.Events() {
		got = append(got, ev)
	}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %#v, want %#v", i, got[i], want[i])
		}
	}
	if f.URL() != "https://two.example" {
		t.Errorf("URL after the change = %q", f.URL())
	}
}

func TestFakeCarriesTrafficToItsListener(t *testing.T) {
	f := New()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	})}
	go srv.Serve(f.Listener())
	t.Cleanup(func() { srv.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := f.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req, _ := http.NewRequest("POST", "http://fake/hook", nil)
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("status %d through the fake tunnel, want 202", resp.StatusCode)
	}

	f.Close()
	if _, err := f.Dial(ctx); err == nil {
		t.Error("Dial succeeded after Close")
	}
}
