package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/alecthomas/chroma/v2/quick"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// inspector shows one delivery: verdict, the signature header pinned,
// and the body pretty (JSON coloured with chroma) or raw.
type inspector struct {
	rec        storage.DeliveryRecord
	err        error
	raw        bool
	wrap       bool
	allHeaders bool // H: every header, not the first few
	scroll     int
	pretty     []string // the body indented and coloured, a line each
	plain      []string // the body as received, made safe
	isJSON     bool
}

func (in *inspector) set(rec storage.DeliveryRecord, err error) {
	raw, wrap, all := in.raw, in.wrap, in.allHeaders
	*in = inspector{rec: rec, err: err, raw: raw, wrap: wrap, allHeaders: all}
	if err != nil {
		return
	}
	in.plain = strings.Split(safetextBlock(string(rec.Body)), "\n")
	var indented bytes.Buffer
	if json.Indent(&indented, rec.Body, "", "  ") == nil {
		in.isJSON = true
		text := safetextBlock(indented.String())
		var coloured strings.Builder
		if quick.Highlight(&coloured, text, "json", "terminal256", "monokai") == nil {
			text = coloured.String()
		}
		in.pretty = strings.Split(strings.TrimRight(text, "\n"), "\n")
	}
}

func (in *inspector) bodyLines() []string {
	if in.raw || !in.isJSON {
		return in.plain
	}
	return in.pretty
}

func (m *Model) inspectorKey(msg tea.KeyPressMsg) tea.Cmd {
	km, in := m.km, &m.insp
	page := max(1, m.lay.bodyRows)
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
	crumb := fmt.Sprintf(" Feed › delivery %d · %s · %s %s · %s (%s ago)", r.ID, orDefault(r.Event, "unknown event"),
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
	bodyTitle := "Body"
	mode := "pretty · p raw · w wrap"
	if in.raw || !in.isJSON {
		mode = "raw · p pretty · w wrap"
	}
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
		return stack(append(blocks, in.bodyBox(st, bodyTitle, mode, w, h-vh-hh))...)
	}
	vh := min(len(verdictLines)+2, h-len(headers)-2)
	left := stack(box(st, false, "Verdict", "", verdictLines, leftW, vh),
		box(st, false, headersTitle(r), "sorted", headers, leftW, h-vh))
	return stack(header, side(left, in.bodyBox(st, bodyTitle, mode, w-leftW, h)))
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
	if r.Event != "" {
		lines = append(lines, " Event      "+outside(r.Event))
	}
	if r.InviteeEmail != "" {
		lines = append(lines, " Invitee    "+outside(r.InviteeEmail))
	}
	if r.EventURI != "" {
		lines = append(lines, " Booking    "+middle(outside(r.EventURI), max(10, w-12)))
	}
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

func (in *inspector) bodyBox(st Styles, title, right string, w, h int) string {
	inner := w - 2
	src := in.bodyLines()
	numW := len(fmt.Sprint(len(src)))
	textW := max(4, inner-numW-2)
	var lines []string
	for i := in.scroll; i < len(src) && len(lines) < h-2; i++ {
		num := st.Faint.Render(fmt.Sprintf("%*d ", numW, i+1))
		if in.wrap {
			for j, part := range strings.Split(ansi.Hardwrap(src[i], textW, true), "\n") {
				if j > 0 {
					num = strings.Repeat(" ", numW+1)
				}
				lines = append(lines, " "+num+part)
			}
			continue
		}
		lines = append(lines, " "+num+fit(src[i], textW))
	}
	if len(src) == 0 || len(src) == 1 && src[0] == "" {
		lines = []string{"", st.Faint.Render(" (empty body)")}
	}
	right = fmt.Sprintf("%s · %d lines", right, len(src))
	return box(st, true, title, right, lines, w, h)
}
