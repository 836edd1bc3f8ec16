package tui

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// lineWith is the first line of s holding every one of subs ("" if none).
func lineWith(s string, subs ...string) string {
	for _, l := range strings.Split(s, "\n") {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(l, sub)
		}
		if all {
			return l
		}
	}
	return ""
}

// TestFeedShowsTheListenersLatencyBeforeTheStoreHasIt: the store writes a
// latency only with its next transaction; the feed shows the one OnRecord
// brought at once, and "—" until then.
func TestFeedShowsTheListenersLatencyBeforeTheStoreHasIt(t *testing.T) {
	m, _, rec := freshModel(t, Options{})
	send(t, m, eventMsg{StoreChanged{}})
	row := lineWith(screen(m), "created", "Xochiquetzal")
	if !strings.Contains(row, " 200 ") || !strings.HasSuffix(strings.TrimRight(row, "│ "), "—") {
		t.Fatalf("before OnRecord the feed row reads %q; want status 200 and latency —", row)
	}
	rec.AnswerStatus, rec.LatencyMicros = 200, 39417
	send(t, m, eventMsg{DeliveryCommitted{Record: rec}})
	if row := lineWith(screen(m), "created", "Xochiquetzal"); !strings.Contains(row, "39ms") {
		t.Errorf("after OnRecord reported 39.4ms the feed row reads %q", row)
	}
	keys(t, m, "3", "enter")
	if s := screen(m); !strings.Contains(s, "Replied    200 in 39ms") || !strings.Contains(s, "200 39ms") {
		t.Errorf("the inspector does not say it replied 200 in 39ms:\n%s", s)
	}
}

// TestFeedStatusAndLatencyColumns: the stored status wins over the one the
// outcome implies; rows stored before either was kept get the implied
// status and "—".
func TestFeedStatusAndLatencyColumns(t *testing.T) {
	f := newFeed()
	f.fresh = newFreshSet(func() time.Time { return testNow })
	f.add([]storage.FeedRow{
		{DeliveryRecord: storage.DeliveryRecord{ID: 3, ReceivedAt: testNow, Event: "invitee.created", Outcome: storage.OutcomeFailed,
			AnswerStatus: 503, LatencyMicros: 312_400}},
		{DeliveryRecord: storage.DeliveryRecord{ID: 2, ReceivedAt: testNow, Outcome: storage.OutcomeRefused, Reason: "signature does not match the body"}},
		{DeliveryRecord: storage.DeliveryRecord{ID: 1, ReceivedAt: testNow, Event: "invitee.canceled", Outcome: storage.OutcomeApplied,
			AnswerStatus: 200, LatencyMicros: 800}},
	}, true)
	for _, w := range []int{120, 66, 48} {
		lines := allFeedLines(&f, time.UTC, testNow, w)
		var rows []string
		for _, l := range lines[1:] { // past the day separator
			rows = append(rows, ansi.Strip(l))
		}
		want := [][2]string{{" 200 ", "<1ms"}, {" 401 ", "—"}, {" 503 ", "312ms"}}
		for i, r := range rows {
			if ansi.StringWidth(r) != w || !strings.Contains(r, want[i][0]) || !strings.HasSuffix(r, want[i][1]) {
				t.Errorf("%d wide, row %d reads %q; want %d cells with%sand ending %q", w, i, r, w, want[i][0], want[i][1])
			}
		}
		head := columnsFor(w).header(w)
		if wantType := w >= 60; strings.Contains(head, "EVENT TYPE") != wantType || !strings.HasSuffix(head, "MS") {
			t.Errorf("%d wide, the header reads %q; want MS last and EVENT TYPE only from 60 wide", w, head)
		}
	}
}

// TestInspectorHeadersPinTheSignatureAndHShowsAll: the headers box counts
// every header, pins the signature header first with v1 cut in the
// middle, lists the first few sorted, and H shows the rest.
func TestInspectorHeadersPinTheSignatureAndHShowsAll(t *testing.T) {
	for _, size := range [][2]int{{160, 48}, {80, 24}} {
		m := newTestModel(t, filledStore(t), Connection{Mode: ModeLocal, KeySet: true}, size[0], size[1])
		keys(t, m, "3", "k", "enter")
		s := screen(m)
		if !strings.Contains(s, "Headers (9)") || !strings.Contains(s, "sorted") {
			t.Fatalf("%dx%d: no \"Headers (9) … sorted\" box:\n%s", size[0], size[1], s)
		}
		sig := lineWith(s, "t=", "v1=")
		if !strings.Contains(sig, "…") || strings.Index(s, "Calendly-Webhook-Signature") > strings.Index(s, "t=") {
			t.Errorf("%dx%d: the signature header is not pinned with v1 cut in the middle: %q", size[0], size[1], sig)
		}
		if size[0] == 160 {
			if !strings.Contains(s, "1 more (H shows all)") || strings.Contains(s, "X-Forwarded-Proto") ||
				strings.Index(s, "Accept-Encoding") > strings.Index(s, "User-Agent") {
				t.Errorf("%dx%d: want the first headers sorted and \"1 more (H shows all)\":\n%s", size[0], size[1], s)
			}
		}
		keys(t, m, "H")
		if s := screen(m); !strings.Contains(lineWith(s, "X-Forwarded-Proto"), "https") {
			t.Errorf("%dx%d: after H, X-Forwarded-Proto is not shown:\n%s", size[0], size[1], s)
		}
		keys(t, m, "H")
		if s := screen(m); size[0] == 160 && !strings.Contains(s, "1 more (H shows all)") {
			t.Errorf("%dx%d: H again does not fold the headers:\n%s", size[0], size[1], s)
		}
	}
}

// TestHeadersOfOldRowsAndCutOnesSaySo: a row stored before headers were
// kept says so; one whose headers were cut says how many were left out.
func TestHeadersOfOldRowsAndCutOnesSaySo(t *testing.T) {
	st := DefaultStyles(true)
	old := strings.Join(headerLines(st, storage.DeliveryRecord{SignatureHeader: "t=1,v1=ab"}, false, 46), "\n")
	if !strings.Contains(old, "not kept") || headerCount(storage.DeliveryRecord{SignatureHeader: "t=1,v1=ab"}) != 1 {
		t.Errorf("an old row's headers read:\n%s", old)
	}
	cut := storage.DeliveryRecord{Outcome: storage.OutcomeRefused, Headers: []storage.Header{{Name: "A", Value: "b"}}, HeadersCut: 40}
	if got := ansi.Strip(strings.Join(headerLines(st, cut, false, 80), "\n")); !strings.Contains(got, "+ 40 more received, not kept (over the 512 B") ||
		headerCount(cut) != 41 {
		t.Errorf("a cut row's headers read (count %d):\n%s", headerCount(cut), got)
	}
}

// FuzzInspectorHeaders renders arbitrary header names and values (anyone
// can send any) and checks that nothing but the inspector's own colours
// reaches the terminal, in both folds and both layouts.
func FuzzInspectorHeaders(f *testing.F) {
	f.Add("X-Evil", "\x1b]0;pwned\x07", "t=1,v1=\u202e"+strings.Repeat("ab", 40))
	f.Add("\x1b[2J", "\u2066", "")
	f.Add("", "", "t=,v1=,,")
	f.Fuzz(func(t *testing.T, name, value, signature string) {
		var in inspector
		headers := []storage.Header{{Name: name, Value: value}}
		for range headersShown {
			headers = append(headers, storage.Header{Name: value, Value: name})
		}
		in.set(storage.DeliveryRecord{ID: 1, ReceivedAt: testNow, Outcome: storage.OutcomeApplied, SignatureHeader: signature,
			Headers: headers, HeadersCut: len(name)}, nil)
		feed := feedPane{}
		for _, all := range []bool{false, true} {
			in.allHeaders = all
			for _, w := range []int{100, 70} {
				out := in.render(DefaultStyles(true), &feed, time.UTC, testNow, w, 30)
				for _, r := range sgr.ReplaceAllString(out, "") {
					if r != '\n' && (unicode.IsControl(r) || r == '\u202e' || r == '\u2066') {
						t.Fatalf("a %U from a header reached the screen:\n%q", r, out)
					}
				}
				if n := strings.Count(out, "\n"); n != 29 {
					t.Fatalf("%d wide, the inspector drew %d lines, want 30", w, n+1)
				}
			}
		}
	})
}
