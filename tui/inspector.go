package tui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// inspector shows one delivery: verdict, the signature header pinned,
// and the body pane (inspector_body.go): its tabs, find and fold.
type inspector struct {
	rec        storage.DeliveryRecord
	err        error
	raw        bool
	wrap       bool
	allHeaders bool // H: every header, not the first few
	scroll     int
	// fwd is what the app answered when the delivery was forwarded (nil:
	// never), fwdErr why that could not be read.
	fwd    *storage.ForwardResult
	fwdErr error
	// booking is the stored event the delivery is about, as a label; ""
	// when the store does not have it (the URI shows instead).
	booking string
	// The body pane's choices, kept across J/K while the inspector is open.
	tab   bodyTab
	fold  bool
	find  bodyFind
	views bodyViews
	rows  int // body lines the pane last showed, for paging to a match
}

func (in *inspector) set(rec storage.DeliveryRecord, err error) {
	keep := *in
	*in = inspector{rec: rec, err: err, raw: keep.raw, wrap: keep.wrap, allHeaders: keep.allHeaders, tab: keep.tab, fold: keep.fold, find: keep.find, rows: keep.rows}
	in.find.of = nil // found again in this delivery's body
	if err != nil {
		return
	}
	in.setBody()
}

func (in *inspector) bodyLines() []string { return in.text().plain }

func (m *Model) inspectorKey(msg tea.KeyPressMsg) tea.Cmd {
	km, in := m.km, &m.insp
	page := max(1, m.lay.bodyRows)
	if cmd, ok := m.bodyPaneKey(msg); ok {
		in.scroll = max(0, min(in.scroll, len(in.bodyLines())-1))
		return cmd
	}
	switch {
	case key.Matches(msg, km.Back):
		m.view = viewMain
	case key.Matches(msg, km.Down):
		in.scroll++
	case key.Matches(msg, km.Up):
		in.scroll--
	case key.Matches(msg, km.PgDn):
		in.scroll += page
	case key.Matches(msg, km.PgUp):
		in.scroll -= page
	case key.Matches(msg, km.Top):
		in.scroll = 0
	case key.Matches(msg, km.Bottom):
		in.scroll = len(in.bodyLines())
	case key.Matches(msg, km.Raw):
		in.raw = !in.raw
	case key.Matches(msg, km.Wrap):
		in.wrap = !in.wrap
	case key.Matches(msg, km.AllHeaders):
		in.allHeaders = !in.allHeaders
	case key.Matches(msg, km.Copy):
		if in.rec.ID == 0 {
			return nil
		}
		return m.copyRecordBody(in.rec)
	case key.Matches(msg, km.Replay):
		return m.replay(in.rec.ID, nil, false)
	case key.Matches(msg, km.Edit):
		return m.editDelivery(in.rec.ID)
	case key.Matches(msg, km.Curl):
		return m.copyCurl(in.rec.ID)
	case key.Matches(msg, km.OpenLink):
		return m.openEventLink(in.rec.EventURI)
	case key.Matches(msg, km.NextDlv, km.PrevDlv):
		f := &m.feed
		step := 1
		if key.Matches(msg, km.PrevDlv) {
			step = -1
		}
		f.move(f.cursor + step)
		if id := f.selectedID(); id != 0 && id != in.rec.ID {
			return m.loadDelivery(id)
		}
	}
	in.scroll = max(0, min(in.scroll, len(in.bodyLines())-1))
	return nil
}

// render draws the inspector for w×h under the status bar.
func (in *inspector) render(st Styles, f *feedPane, loc *time.Location, now time.Time, w, h int) string {
	if in.err != nil {
		return box(st, true, "Inspector", "esc back", []string{"", " " + st.Bad.Render("✗ "+in.err.Error())}, w, h)
	}
	if in.rec.ID == 0 {
		return box(st, true, "Inspector", "esc back", []string{"", st.Faint.Render(" loading…")}, w, h)
	}
	r := in.rec
	code, latency := f.answered(r)
	at := r.ReceivedAt.In(loc)
	crumb := fmt.Sprintf(" Feed › delivery %d · %s%s · %s %s · %s (%s ago)", r.ID, orDefault(r.Event, "unknown event"), replayCrumb(r),
		st.code(code).Render(fmt.Sprint(code)), latencyShort(latency), at.Format("15:04:05"), shortDuration(now.Sub(r.ReceivedAt)))
	nav := fmt.Sprintf("K◂ %s/%s ▸J ", thousands(f.cursor+1), thousands(len(f.rows)))
	header := fit(crumb, w-ansi.StringWidth(nav)) + nav
	h--
	leftW := min(48, w/2)
	if w < 90 {
		leftW = w
	}
	verdictLines := in.verdictLines(st, code, latency, leftW-2)
	headers := headerLines(st, r, in.allHeaders, leftW-2)
	if w < 90 { // the headers below the verdict, as far as there is room
		vh := min(len(verdictLines)+2, h/2)
		hh := min(len(headers)+2, max(0, (h-vh)/3))
		if in.allHeaders { // H: the headers take the verdict's room and more
			vh, hh = 0, min(len(headers)+2, max(0, h-5))
		}
		blocks := []string{header}
		if vh >= 2 {
			blocks = append(blocks, box(st, false, "Verdict", "", verdictLines, w, vh))
		} else {
			vh = 0
		}
		if hh >= 2 {
			right := "sorted"
			if !in.allHeaders && hh < len(headers)+2 {
				right = "sorted · H shows all"
			}
			blocks = append(blocks, box(st, false, headersTitle(r), right, headers, w, hh))
		} else {
			hh = 0
		}
		return stack(append(blocks, in.bodyBox(st, w, h-vh-hh))...)
	}
	vh := min(len(verdictLines)+2, h-len(headers)-2)
	left := stack(box(st, false, "Verdict", "", verdictLines, leftW, vh),
		box(st, false, headersTitle(r), "sorted", headers, leftW, h-vh))
	return stack(header, side(left, in.bodyBox(st, w-leftW, h)))
}

func (in *inspector) verdictLines(st Styles, code int, latency time.Duration, w int) []string {
	r := in.rec
	var head string
	switch r.Outcome {
	case storage.OutcomeApplied:
		head = st.OK.Render("✓ ACCEPTED") + " — applied to the bookings"
	case storage.OutcomeDuplicate:
		head = st.OK.Render("≡ DUPLICATE") + " — seen before, changed nothing"
	case storage.OutcomeFailed:
		head = st.Bad.Render("✗ NOT STORED") + " — answered 5xx, Calendly retries"
	default:
		head = st.Warn.Render("✗ REFUSED") + " — booking unchanged"
	}
	sig := "✓ v1 HMAC-SHA256 matches, t fresh"
	if r.Outcome == storage.OutcomeRefused {
		sig = verdict(r) + ": " + outside(r.Reason)
	}
	lines := []string{" " + head, "", " Signature  " + sig}
	lines = append(lines, " Replied    "+replied(st, r, code, latency))
	if r.ReplayOf > 0 {
		lines = append(lines, " Replay     "+replayOf(r)+st.Faint.Render(" (a hint: its header)"))
	}
	if r.Event != "" {
		lines = append(lines, " Event      "+outside(r.Event))
	}
	if r.InviteeEmail != "" {
		lines = append(lines, " Invitee    "+outside(r.InviteeEmail))
	}
	if r.EventURI != "" {
		booking := in.booking
		if booking == "" {
			booking = middle(outside(r.EventURI), max(10, w-12))
		}
		lines = append(lines, " Booking    "+booking)
	}
	lines = append(lines, in.forwardLines(st, w)...)
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = fit(l, w)
	}
	return out
}

// replied is "200 in 39ms": what calwatch answered and how fast, with
// what is not known said so.
func replied(st Styles, r storage.DeliveryRecord, code int, latency time.Duration) string {
	out := st.code(code).Render(fmt.Sprint(code))
	switch {
	case r.AnswerStatus == 0 && latency == 0:
		return out + st.Faint.Render(" (from the outcome; stored before calwatch kept it)")
	case latency == 0:
		return out + st.Faint.Render(" (time not known)")
	}
	return out + " in " + latencyShort(latency)
}

// replayOf is "R replay of delivery 88" for a delivery whose request says
// it replays another: a hint, shown but never trusted.
func replayOf(r storage.DeliveryRecord) string {
	return fmt.Sprintf("R replay of delivery %d", r.ReplayOf)
}

// replayCrumb is the crumb's " · R replay of delivery 88", or "".
func replayCrumb(r storage.DeliveryRecord) string {
	if r.ReplayOf <= 0 {
		return ""
	}
	return " · " + replayOf(r)
}
