package tunnel

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEmitterNeverBlocksAndKeepsTheNewest(t *testing.T) {
	e := NewEmitter[Event](3)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 {
			e.Emit(Online{URL: "https://" + string(rune('a'+i%26)) + ".example"})
		}
		e.Emit(Stopped{})
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Emit blocked with nobody reading")
	}
	e.Close()
	var got []Event
	for ev := range e.C() {
		got = append(got, ev)
	}
	if len(got) != 3 {
		t.Fatalf("read %d events after 101 with a buffer of 3, want 3: %v", len(got), got)
	}
	if _, ok := got[2].(Stopped); !ok {
		t.Errorf("last event = %#v, want the newest (Stopped)", got[2])
	}
	if e.Dropped() != 98 {
		t.Errorf("Dropped() = %d, want 98", e.Dropped())
	}
	e.Emit(Online{}) // after Close: ignored, no panic
}

func TestLocalAndFixedReportOnlineThenStopped(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4zero, Port: 8787}
	fixed, err := Fixed("https://hooks.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tun  Tunnel
		kind Kind
		url  string
	}{
		{Local(addr), KindLocal, "http://127.0.0.1:8787"},
		{fixed, KindFixed, "https://hooks.example.com"},
	} {
		if tc.tun.Kind() != tc.kind || tc.tun.URL() != tc.url || tc.tun.Listener() != nil {
			t.Errorf("%s: kind %q url %q listener %v; want %q %q nil", tc.kind, tc.tun.Kind(), tc.tun.URL(), tc.tun.Listener(), tc.kind, tc.url)
		}
		if ev := <-tc.tun.Events(); ev != (Online{URL: tc.url}) {
			t.Errorf("%s: first event %#v, want Online{%s}", tc.kind, ev, tc.url)
		}
		tc.tun.Close()
		tc.tun.Close()
		if ev := <-tc.tun.Events(); ev != (Stopped{}) {
			t.Errorf("%s: event after Close %#v, want Stopped{}", tc.kind, ev)
		}
		if _, open := <-tc.tun.Events(); open {
			t.Errorf("%s: Events still open after Stopped", tc.kind)
		}
	}
}

func TestFixedRefusesWhatIsNotAnOrigin(t *testing.T) {
	for _, bad := range []string{"", "hooks.example.com", "ftp://x.example", "https://", "https://u:p@x.example", "https://x.example/hook", "https://x.example?a=1"} {
		if _, err := Fixed(bad); err == nil {
			t.Errorf("Fixed(%q) accepted it", bad)
		}
	}
}

func TestMergeServesEveryListenerAndSurvivesOneFailing(t *testing.T) {
	a, b := listenLocal(t), listenLocal(t)
	m := Merge(a, b)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "served")
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(m) }()
	t.Cleanup(func() { srv.Close() })

	if m.Addr() != a.Addr() {
		t.Errorf("Addr() = %v, want the first listener's %v", m.Addr(), a.Addr())
	}
	get(t, "http://"+a.Addr().String())
	get(t, "http://"+b.Addr().String())

	b.Close() // one drops out; the other keeps serving
	get(t, "http://"+a.Addr().String())

	m.Close()
	select {
	case err := <-served:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve after Close returned %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running 10 s after the merged listener closed")
	}
	if _, err := net.Dial("tcp", a.Addr().String()); err == nil {
		t.Error("the first listener still accepts after the merged one closed")
	}
}

func TestMergeFailsOnceEveryListenerHasFailed(t *testing.T) {
	a, b := listenLocal(t), listenLocal(t)
	m := Merge(a, b)
	a.Close()
	b.Close()
	accepted := make(chan error, 1)
	go func() { _, err := m.Accept(); accepted <- err }()
	select {
	case err := <-accepted:
		if err == nil {
			t.Fatal("Accept succeeded with every listener closed")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still waiting 10 s after every listener failed")
	}
}

func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func get(t *testing.T, url string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), "served") {
		t.Fatalf("GET %s answered %q", url, body)
	}
}
