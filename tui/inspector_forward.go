package tui

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// Forwarded says what the developer's app answered when a delivery was
// forwarded to it (calwatch --forward-to URL); the result is stored before
// it is published.
type Forwarded struct{ Result storage.ForwardResult }

func (Forwarded) isEvent() {}

// ForwardReader reads a stored forward result; a Reader that implements it
// (*storage.Panes does) lets the inspector show what the app answered to
// deliveries forwarded before it was opened.
type ForwardReader interface {
	ForwardResult(ctx context.Context, id int64) (storage.ForwardResult, bool, error)
}

// forwardOf reads delivery id's forward result, if r can.
func forwardOf(ctx context.Context, r Reader, id int64) (*storage.ForwardResult, error) {
	fr, ok := r.(ForwardReader)
	if !ok {
		return nil, nil
	}
	res, found, err := fr.ForwardResult(ctx, id)
	if err != nil || !found {
		return nil, err
	}
	return &res, nil
}

// recentForwardsKept bounds the forward results the TUI remembers from
// this run's events.
const recentForwardsKept = 256

// recentForwards are this run's latest forward results by delivery id: an
// inspector whose read raced the forward still shows its answer.
type recentForwards struct {
	byID  map[int64]storage.ForwardResult
	order []int64
}

func (r *recentForwards) add(res storage.ForwardResult) {
	if r.byID == nil {
		r.byID = map[int64]storage.ForwardResult{}
	}
	if _, seen := r.byID[res.DeliveryID]; !seen {
		r.order = append(r.order, res.DeliveryID)
	}
	r.byID[res.DeliveryID] = res
	if len(r.order) > recentForwardsKept {
		delete(r.byID, r.order[0])
		r.order = r.order[1:]
	}
}

func (r *recentForwards) get(id int64) (storage.ForwardResult, bool) {
	res, ok := r.byID[id]
	return res, ok
}

// onForwarded remembers a fresh forward result and shows it when its
// delivery is the one inspected.
func (m *Model) onForwarded(ev Forwarded) tea.Cmd {
	m.forwards.add(ev.Result)
	if m.insp.rec.ID != 0 && m.insp.rec.ID == ev.Result.DeliveryID {
		res := ev.Result
		m.insp.fwd, m.insp.fwdErr = &res, nil
	}
	return nil
}

// setInspectedForward gives the inspector the forward result read with
// its delivery, or this run's, which is as new or newer.
func (m *Model) setInspectedForward(fwd *storage.ForwardResult, err error) {
	if res, ok := m.forwards.get(m.insp.rec.ID); ok {
		fwd, err = &res, nil
	}
	m.insp.fwd, m.insp.fwdErr = fwd, err
}

// forwardLines are the inspector's Forward section: where the delivery was
// sent and what the app answered, or why it did not; none when it was
// never forwarded.
func (in *inspector) forwardLines(st Styles, w int) []string {
	if in.fwdErr != nil {
		return []string{"", " Forward    " + st.Bad.Render("✗ "+outside(in.fwdErr.Error()))}
	}
	f := in.fwd
	if f == nil {
		return nil
	}
	target := "→ " + outside(f.URL)
	var outcome string
	switch {
	case f.Status == 0:
		outcome = st.Bad.Render("✗ " + forwardFailure(f))
	case f.Error != "":
		outcome = st.Bad.Render(fmt.Sprintf("✗ %d in %s — %s", f.Status, latency(f.Latency), outside(f.Error)))
	default:
		s := st.OK
		if f.Status < 200 || f.Status > 299 {
			s = st.Bad
		}
		size := bytesize(len(f.Answer))
		if f.AnswerTruncated {
			size = "over " + size
		}
		outcome = s.Render(fmt.Sprint(f.Status)) + fmt.Sprintf(" in %s · %s answer", latency(f.Latency), size)
	}
	lines := []string{""}
	if one := " Forward    " + target + " · " + outcome; ansi.StringWidth(one) <= w {
		lines = append(lines, one)
	} else {
		lines = append(lines, " Forward    "+middle(target, max(10, w-12)), "            "+outcome)
	}
	if f.Status != 0 {
		if first := firstAnswerLine(f.Answer); first != "" {
			lines = append(lines, "            "+st.Faint.Render(first))
		}
	}
	return lines
}

// forwardFailure is why the app gave no answer, with what to check when the
// reason is a common one.
func forwardFailure(f *storage.ForwardResult) string {
	reason := outside(f.Error)
	if reason == "" {
		reason = "no answer"
	}
	port := ""
	if u, err := url.Parse(f.URL); err == nil {
		port = u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
	}
	switch {
	case strings.Contains(reason, "connection refused"):
		return "connection refused — is your app running on :" + port + "?"
	case strings.Contains(reason, "no such host"):
		return "no such host — check the --forward-to URL"
	case strings.Contains(reason, "no answer within"), strings.Contains(reason, "timed out"):
		return reason + " — is your app stuck?"
	}
	return reason
}

// firstAnswerLine is the first non-blank line of the app's answer, safe.
func firstAnswerLine(answer []byte) string {
	for l := range strings.SplitSeq(string(answer), "\n") {
		if s := strings.TrimSpace(outside(l)); s != "" {
			return s
		}
	}
	return ""
}

// latency is a forward's round trip, short: 12ms, 850µs, 1.25s.
func latency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Microsecond).String()
}
