package tui

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/bigstore"
)

// The benchmarks in this file measure the TUI over the big store
// (100,000 events by 20,000 people over a year; see BENCHMARKS.md, "The
// TUI on a big store"). They are benchmarks only, so `go test ./...` never
// builds the store. The store is built once per test binary, in a child
// process (so its garbage is not in the figures' resident memory), into a
// temporary folder; CALWATCH_BIGSTORE=path keeps it there and reuses it.

// bigStoreEnv names the store a child process builds (TestBuildBigStore)
// or a run reuses.
const bigStoreEnv = "CALWATCH_BIGSTORE"

// TestBuildBigStore builds the big store at $CALWATCH_BIGSTORE when run as
// the benchmarks' child process; otherwise it is skipped.
func TestBuildBigStore(t *testing.T) {
	path := os.Getenv(bigStoreEnv)
	if path == "" || os.Getenv("CALWATCH_BIGSTORE_BUILD") != "1" {
		t.Skip("builds the benchmarks' big store only when they ask for it")
	}
	s, err := storage.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := bigstore.Fill(context.Background(), s, bigstore.Default(testNow))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("bigstore: %d deliveries (%d canceled, %d no-shows) in %s\n", st.Deliveries, st.Canceled, st.NoShows, st.Took.Round(time.Second))
}

var bigStore struct {
	once sync.Once
	path string
	err  error
}

// bigStorePath is the big store, built on first use.
func bigStorePath(b *testing.B) string {
	bigStore.once.Do(func() {
		path := os.Getenv(bigStoreEnv)
		if path == "" {
			dir, err := os.MkdirTemp("", "calwatch-bigstore-")
			if err != nil {
				bigStore.err = err
				return
			}
			path = filepath.Join(dir, "calwatch.db")
		}
		bigStore.path = path
		if _, err := os.Stat(path); err == nil {
			return
		}
		cmd := exec.Command(os.Args[0], "-test.run", "^TestBuildBigStore$", "-test.v")
		cmd.Env = append(os.Environ(), bigStoreEnv+"="+path, "CALWATCH_BIGSTORE_BUILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			bigStore.err = fmt.Errorf("building the big store: %v\n%s", err, out)
			return
		}
		for line := range strings.Lines(string(out)) {
			if strings.HasPrefix(line, "bigstore:") {
				fmt.Fprint(os.Stderr, line)
			}
		}
	})
	if bigStore.err != nil {
		b.Fatal(bigStore.err)
	}
	return bigStore.path
}

// pump runs a model as the Bubble Tea program does: every Cmd in its own
// goroutine, each message back through Update.
type pump struct {
	m       *Model
	msgs    chan tea.Msg
	pending int // Cmds started whose message has not come back
	idle    int // of those, the ones settle does not wait for (an event wait, a highlight's expiry)
	// freshTicks is how many of the idle ones are a new booking's
	// highlight expiry (freshFor away): counted idle until it comes back.
	freshTicks int
}

func newPump(m *Model) *pump { return &pump{m: m, msgs: make(chan tea.Msg, 256)} }

func (p *pump) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	p.pending++
	go func() { p.msgs <- cmd() }()
}

func (p *pump) update(msg tea.Msg) {
	_, cmd := p.m.Update(msg)
	p.run(cmd)
}

// until handles messages until done reports true (checked before each).
func (p *pump) until(tb testing.TB, done func() bool) {
	tb.Helper()
	for !done() {
		select {
		case msg := <-p.msgs:
			p.pending--
			switch msg := msg.(type) {
			case nil, tea.QuitMsg:
			case freshExpired:
				if p.freshTicks > 0 {
					p.freshTicks--
					p.idle--
				}
				p.update(msg)
			case tea.BatchMsg:
				for _, c := range msg {
					p.run(c)
				}
			default:
				p.update(msg)
			}
		case <-time.After(10 * time.Second):
			tb.Fatalf("the model did not settle within 10 s (%d commands outstanding)", p.pending)
		}
	}
}

// settle handles messages until no Cmd is outstanding but the idle ones.
func (p *pump) settle(tb testing.TB) { p.until(tb, func() bool { return p.pending <= p.idle }) }

// press is one key from Update to the frame after its reads: the time taken.
func (p *pump) press(tb testing.TB, name string) time.Duration {
	began := time.Now()
	p.update(keyPress(name))
	p.settle(tb)
	_ = p.m.View()
	return time.Since(began)
}

// openBig is a model over the big store's read side, sized 160×48, with
// every first read done.
func openBig(b *testing.B, backend func(Reader) Backend) (*pump, func()) {
	panes, err := storage.OpenPanes(context.Background(), bigStorePath(b))
	if err != nil {
		b.Fatal(err)
	}
	m := New(backend(panes), Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	p := newPump(m)
	p.run(m.Init())
	p.update(tea.WindowSizeMsg{Width: 160, Height: 48})
	return p, func() { panes.Close() }
}

func quietBackend(r Reader) Backend { return quiet{NewHub(r, Connection{Mode: ModeOffline})} }

// reportQuantiles reports the median and 99th percentile of ds in ms.
func reportQuantiles(b *testing.B, prefix string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	q := func(f float64) float64 {
		return float64(ds[min(len(ds)-1, int(f*float64(len(ds))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.50), prefix+"p50-ms")
	b.ReportMetric(q(0.99), prefix+"p99-ms")
	b.ReportMetric(float64(ds[len(ds)-1])/float64(time.Millisecond), prefix+"max-ms")
}

// reportRSS reports the process's resident memory (VmRSS) in MB.
func reportRSS(b *testing.B, name string) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return // not Linux: no figure
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err == nil {
				b.ReportMetric(float64(kb)/1024, name+"-MB")
			}
		}
	}
}

// BenchmarkBigFirstFrame is `calwatch --offline` to its first screen: open
// the store read-only, New, Init's reads done, View.
func BenchmarkBigFirstFrame(b *testing.B) {
	bigStorePath(b)
	var ds []time.Duration
	for b.Loop() {
		began := time.Now()
		p, closeStore := openBig(b, quietBackend)
		p.settle(b)
		if !strings.Contains(ansi.Strip(p.m.View().Content), "June 2026") {
			b.Fatal("the first frame does not show June 2026")
		}
		ds = append(ds, time.Since(began))
		closeStore()
	}
	reportQuantiles(b, "frame-", ds)
	reportRSS(b, "rss-after-first-frame")
}

// BenchmarkBigKeys is each key the issue names, from Update to the next
// View with the reads it issued, over one model: month switch (n, then p
// to come back), day move (l), pane switch (tab), a contact search
// keystroke (typing a name, four letters at a time), the contacts' sort
// change (s, round the three orders; each order's figures apart too) and
// a page down the contact list in each order (pgdown from the top, a
// next page read as the cursor nears the last row read, back to the top
// untimed every 100 presses).
func BenchmarkBigKeys(b *testing.B) {
	p, closeStore := openBig(b, quietBackend)
	defer closeStore()
	p.settle(b)
	// contactsFirst puts the contacts pane in front, unsearched, in order,
	// its first page read again (at least one s) and the cursor on top.
	contactsFirst := func(order storage.ContactSort) []string {
		keys := []string{"4", "esc"}
		for s := p.m.contacts.sort; s != order || len(keys) == 2; {
			s = nextSort(s)
			keys = append(keys, "s")
		}
		return append(keys, "g")
	}
	paging := func(order storage.ContactSort) func(i int) ([]string, string) {
		return func(i int) ([]string, string) {
			if i%100 == 0 {
				return contactsFirst(order), "pgdown"
			}
			return nil, "pgdown"
		}
	}
	for _, k := range []struct {
		name string
		keys func(i int) (setup []string, timed string)
	}{
		{"month", func(i int) ([]string, string) { return nil, []string{"n", "p"}[i%2] }},
		{"day", func(i int) ([]string, string) { return nil, []string{"l", "h"}[i/10%2] }},
		{"pane", func(int) ([]string, string) { return nil, "tab" }},
		{"search", func(i int) ([]string, string) {
			word := []string{"anaa", "ravi", "sofi", "jose", "olen", "mate", "fati"}[i/4%7]
			if i%4 == 0 { // a fresh search in the contacts pane
				return []string{"4", "esc", "/"}, word[:1]
			}
			return nil, word[i%4 : i%4+1]
		}},
		{"sort", func(i int) ([]string, string) {
			if i == 0 {
				return []string{"4", "esc"}, "s"
			}
			return nil, "s"
		}},
		{"page-last", paging(storage.ContactsByLast)},
		{"page-bookings", paging(storage.ContactsByBookings)},
		{"page-no-shows", paging(storage.ContactsByNoShows)},
	} {
		b.Run(k.name, func(b *testing.B) {
			p.press(b, "1")
			var ds []time.Duration
			byOrder := map[storage.ContactSort][]time.Duration{}
			i := 0
			for b.Loop() {
				setup, timed := k.keys(i)
				for _, s := range setup {
					p.press(b, s)
				}
				d := p.press(b, timed)
				ds = append(ds, d)
				byOrder[p.m.contacts.sort] = append(byOrder[p.m.contacts.sort], d)
				i++
			}
			reportQuantiles(b, "key-", ds)
			if k.name == "sort" {
				for order, ds := range byOrder {
					reportQuantiles(b, "to-"+order.String()+"-", ds)
				}
			}
			p.press(b, "esc")
			reportRSS(b, "rss-after-keys")
		})
	}
}

// BenchmarkBigDeliveryToScreen is a booking from the moment its delivery
// is durably committed to the first View that shows it: DeliveryCommitted
// through the Hub (as the listener's OnRecord publishes it), the model's
// re-reads, View. The store is the big one, written as the listener
// writes it.
func BenchmarkBigDeliveryToScreen(b *testing.B) {
	s, err := storage.Open(context.Background(), bigStorePath(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	hub := NewHub(s.Panes(), Connection{Mode: ModeLocal})
	defer hub.Close()
	m := New(hub, Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	m.flashTimers = false // a flash's expiry is not part of getting on screen
	p := newPump(m)
	p.run(m.Init())
	p.update(tea.WindowSizeMsg{Width: 160, Height: 48})
	p.idle = 1 // the wait on the hub's events
	p.settle(b)
	p.press(b, "3")
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	host := calendlytest.RandomHost(rnd)
	var ds []time.Duration
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("Quinn %06d", i)
		at := testNow.Add(time.Duration(i) * time.Millisecond)
		inv := calendlytest.SampleInvitee(rnd, at, host, calendlytest.Person{Name: name, Email: fmt.Sprintf("quinn.%d.%d@example.com", rnd.Uint32(), i), Timezone: "Europe/Berlin"}, testNow.Add(24*time.Hour))
		in, err := bigstore.Signed(calendly.EventInviteeCreated, at, host.URI, inv)
		if err != nil {
			b.Fatal(err)
		}
		rec, err := s.RecordDelivery(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		began := time.Now()
		hub.Publish(DeliveryCommitted{Record: rec})
		p.until(b, func() bool { return strings.Contains(ansi.Strip(p.m.View().Content), name) })
		ds = append(ds, time.Since(began))
		// Untimed: the rest of the refresh and the new booking's read land
		// before the next delivery; its highlight's expiry, freshFor
		// away, does not hold the next one back.
		b.StopTimer()
		p.freshTicks++
		p.idle++
		p.settle(b)
		b.StartTimer()
		i++
	}
	reportQuantiles(b, "screen-", ds)
	b.ReportMetric(float64(len(ds)), "samples")
}
