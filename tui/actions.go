package tui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// Replayer is an action a Backend may offer: send a stored delivery again,
// re-signed with a fresh t, to where deliveries are accepted (calwatch's
// own listener, which stores it again). The TUI checks for it with a type
// assertion; without it, r, e and c say what is missing.
type Replayer interface {
	// Replay sends delivery id again; body, when not nil, is sent instead
	// of the stored bytes (the e key's edited body). The error is for what
	// kept it from being sent; what the target answered is in the result.
	Replay(ctx context.Context, id int64, body []byte) (ReplayResult, error)
	// SignNow signs body as a replay sent now would be: where it would go
	// and its Calendly-Webhook-Signature header (for the c key's curl).
	SignNow(body []byte) (target, signature string, err error)
}

// ReplayResult is what the target made of a replay.
type ReplayResult struct {
	Target  string
	Status  int // 0: no answer, see Err
	Latency time.Duration
	Err     error // why there was no usable answer
}

// replayTimeout bounds a replay from the TUI; the answer is a local one.
const replayTimeout = 15 * time.Second

type (
	// replayDone is a replay's outcome, for the footer.
	replayDone struct {
		id     int64
		edited bool
		res    ReplayResult
		err    error
	}
	// editReady says the body of delivery id is in a file for $EDITOR.
	editReady struct {
		id   int64
		path string
	}
	// editorClosed says $EDITOR exited.
	editorClosed struct {
		id   int64
		path string
		err  error
	}
	// clipboardReady carries text for the clipboard and what to say.
	clipboardReady struct {
		text, said string
	}
	// actionFailed is an action that could not start, said in the footer.
	actionFailed struct{ err error }
	// bodyLoaded is a delivery read for y.
	bodyLoaded struct{ rec storage.DeliveryRecord }
	// linkLoaded is a booking's join link, read for o.
	linkLoaded struct{ url string }
	// flashExpired clears the footer's message if it is still seq.
	flashExpired struct{ seq int }
)

func (m *Model) replayer() (Replayer, error) {
	if r, ok := m.backend.(Replayer); ok {
		return r, nil
	}
	return nil, errors.New("replay needs a listener: run calwatch --no-tunnel, calwatch listen, or --demo")
}

// replay sends delivery id again (body nil: as stored).
func (m *Model) replay(id int64, body []byte, edited bool) tea.Cmd {
	if id == 0 {
		return nil
	}
	r, err := m.replayer()
	if err != nil {
		m.setFlash(sevBad, "✗ "+err.Error())
		return m.expireFlash()
	}
	what := "replaying"
	if edited {
		what = "sending the edited body of"
	}
	m.setFlash(sevInfo, fmt.Sprintf("… %s delivery %d", what, id))
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), replayTimeout)
		defer cancel()
		res, err := r.Replay(ctx, id, body)
		return replayDone{id: id, edited: edited, res: res, err: err}
	}
}

// replayText is the footer's line for a replay: "✓ replayed → 200 (39ms)".
func replayText(d replayDone) (severity, string) {
	verb := "replay"
	if d.edited {
		verb = "edited replay"
	}
	switch {
	case d.err != nil:
		return sevBad, fmt.Sprintf("✗ %s failed: %s", verb, outside(d.err.Error()))
	case d.res.Status == 0:
		why := "no answer"
		if d.res.Err != nil {
			why = outside(d.res.Err.Error())
		}
		return sevBad, fmt.Sprintf("✗ %s failed: %s", verb, why)
	}
	past := "replayed"
	if d.edited {
		past = "sent edited"
	}
	ms := d.res.Latency.Round(time.Millisecond).Milliseconds()
	text := fmt.Sprintf("%s → %d (%dms)", past, d.res.Status, ms)
	if d.res.Status < 200 || d.res.Status > 299 || d.res.Err != nil {
		return sevBad, "✗ " + text
	}
	return sevOK, "✓ " + text
}

// selectedDeliveryID is the delivery r, e and c act on: the inspector's,
// else the feed's selection.
func (m *Model) selectedDeliveryID() int64 {
	if m.view == viewInspector && m.insp.rec.ID != 0 {
		return m.insp.rec.ID
	}
	return m.feed.selectedID()
}

// copyRecordBody puts rec's body on the clipboard through OSC 52, made
// safe: the clipboard is pasted into terminals too.
func (m *Model) copyRecordBody(rec storage.DeliveryRecord) tea.Cmd {
	if rec.BodyTruncated {
		m.setFlash(sevBad, fmt.Sprintf("✗ delivery %d kept only %s of its body; copied that part", rec.ID, bytesize(len(rec.Body))))
	} else {
		m.setFlash(sevOK, fmt.Sprintf("✓ copied the body of delivery %d (%s)", rec.ID, bytesize(len(rec.Body))))
	}
	return tea.Batch(tea.SetClipboard(safetextBlock(string(rec.Body))), m.expireFlash())
}

// copyBody reads delivery id and copies its body (y in the feed).
func (m *Model) copyBody(id int64) tea.Cmd {
	if id == 0 {
		return nil
	}
	r := m.reader
	return read(func(ctx context.Context) tea.Msg {
		rec, err := r.Delivery(ctx, id)
		if err != nil {
			return actionFailed{err}
		}
		return bodyLoaded{rec}
	})
}

// copyCurl puts a curl command that sends delivery id, signed now, on the
// clipboard. Without a Replayer the stored signature is used, and the
// footer says it is old.
func (m *Model) copyCurl(id int64) tea.Cmd {
	if id == 0 {
		return nil
	}
	reader, conn := m.reader, m.conn
	signer, _ := m.backend.(Replayer)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		rec, err := reader.Delivery(ctx, id)
		if err != nil {
			return actionFailed{err}
		}
		if rec.BodyTruncated {
			return actionFailed{fmt.Errorf("delivery %d kept only %d of its %d bytes; it cannot be sent as curl", id, len(rec.Body), rec.BodySize)}
		}
		// The clipboard is pasted into terminals: the body made safe, and
		// signed as it will be sent.
		body := safetextBlock(string(rec.Body))
		target, sig := conn.WebhookURL, rec.SignatureHeader
		said := fmt.Sprintf("✓ copied a curl command for delivery %d, signed now", id)
		if signer != nil {
			if target, sig, err = signer.SignNow([]byte(body)); err != nil {
				return actionFailed{err}
			}
		} else {
			said = fmt.Sprintf("✓ copied a curl command for delivery %d (its old signature: t is stale)", id)
		}
		if target == "" {
			return actionFailed{errors.New("no webhook URL is known here; run calwatch --no-tunnel or listen to get one")}
		}
		return clipboardReady{text: curlCommand(target, sig, body), said: said}
	}
}

// curlCommand is a POSIX shell command that posts body to target.
func curlCommand(target, signature, body string) string {
	return "curl -sS -X POST " + shellQuote(target) +
		" -H " + shellQuote("Content-Type: application/json") +
		" -H " + shellQuote(calendly.SignatureHeader+": "+signature) +
		" --data-binary " + shellQuote(body)
}

// shellQuote quotes s for a POSIX shell: single quotes, with each single
// quote closed, escaped and reopened.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// openLink opens a booking's join link in the browser; only http and
// https links are opened.
func (m *Model) openLink(raw string) tea.Cmd {
	if raw == "" {
		m.setFlash(sevInfo, "this booking has no join link")
		return m.expireFlash()
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		m.setFlash(sevBad, "✗ only http(s) links are opened; this one is not")
		return m.expireFlash()
	}
	open := m.openURL
	m.setFlash(sevOK, "✓ opening "+outside(u.Host))
	return tea.Batch(m.expireFlash(), func() tea.Msg {
		if err := open(u.String()); err != nil {
			return actionFailed{fmt.Errorf("cannot open the browser (%v); the link is %s", err, u.String())}
		}
		return nil
	})
}

// openEventLink reads booking uri and opens its join link.
func (m *Model) openEventLink(uri string) tea.Cmd {
	if uri == "" {
		m.setFlash(sevInfo, "no booking selected")
		return m.expireFlash()
	}
	r := m.reader
	return read(func(ctx context.Context) tea.Msg {
		ev, err := r.Event(ctx, uri)
		if err != nil {
			return actionFailed{err}
		}
		link := ""
		if ev.Location != nil {
			link = ev.Location.JoinURL
		}
		return linkLoaded{link}
	})
}

// onAction applies an action's message; ok is false for other messages.
func (m *Model) onAction(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case replayDone:
		sev, text := replayText(msg)
		m.setFlash(sev, text)
		return m.expireFlash(), true
	case editReady:
		return m.runEditor(msg), true
	case editorClosed:
		return m.sendEdited(msg), true
	case clipboardReady:
		m.setFlash(sevOK, msg.said)
		return tea.Batch(tea.SetClipboard(msg.text), m.expireFlash()), true
	case actionFailed:
		m.log.Error("action", "err", msg.err)
		m.setFlash(sevBad, "✗ "+outside(msg.err.Error()))
		return m.expireFlash(), true
	case exportDone:
		return m.onExportDone(msg), true
	case demoDone:
		return m.onDemoDone(msg), true
	case bodyLoaded:
		return m.copyRecordBody(msg.rec), true
	case linkLoaded:
		return m.openLink(msg.url), true
	case flashExpired:
		if msg.seq == m.flashSeq {
			m.flash = flash{}
		}
		return nil, true
	}
	return nil, false
}

// expireFlash clears the current flash once its time is up, even when no
// tick redraws the screen.
func (m *Model) expireFlash() tea.Cmd {
	if !m.flashTimers {
		return nil
	}
	seq := m.flashSeq
	return tea.Tick(flashFor, func(time.Time) tea.Msg { return flashExpired{seq} })
}
