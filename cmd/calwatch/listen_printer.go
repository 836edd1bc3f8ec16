package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
)

// deliveryPrinter reports each stored delivery: one JSON object per line on
// stdout with --json, else a line of text on stderr. Handlers call it
// concurrently and never wait for the terminal: lines go through a bounded
// queue to one writer goroutine, and when a reader stalls (listen --json |
// slow-consumer) the lines that do not fit are dropped and counted, never
// the acknowledgements. Every delivery is in the database regardless.
type deliveryPrinter struct {
	out, errOut io.Writer
	json        bool

	queue     chan printLine
	stop      chan struct{} // closed by close: print what is queued, then end
	done      chan struct{} // closed when the writer goroutine has ended
	dropped   atomic.Int64  // lines not queued since the last notice
	closeOnce sync.Once

	// Set by the writer goroutine when a write fails (the reader went away:
	// EPIPE); nothing more is written there.
	outBroken, errOutBroken bool
}

// printLine is one line for stdout (toOut) or stderr.
type printLine struct {
	toOut bool
	text  []byte
}

// newDeliveryPrinter starts the writer goroutine; queueLines bounds the
// queue. Call close when done.
func newDeliveryPrinter(out, errOut io.Writer, json bool, queueLines int) *deliveryPrinter {
	p := &deliveryPrinter{
		out: out, errOut: errOut, json: json,
		queue: make(chan printLine, queueLines),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go p.writeLines()
	return p
}

func (p *deliveryPrinter) record(rec storage.DeliveryRecord) {
	if p.json {
		b, err := json.Marshal(rec)
		if err != nil {
			p.enqueue(printLine{text: fmt.Appendf(nil, "cannot print delivery %d as JSON: %v\n", rec.ID, err)})
			return
		}
		p.enqueue(printLine{toOut: true, text: append(escapeSteering(b), '\n')})
		return
	}
	what := rec.Event
	switch {
	case rec.Outcome == storage.OutcomeRefused:
		what = rec.Reason
	case rec.InviteeEmail != "":
		what += "  " + rec.InviteeEmail
	}
	p.enqueue(printLine{text: append([]byte(safetext.Line(humanRecordLine(rec, what))), '\n')})
}

// humanRecordLine is listen's line for one delivery: when, which, what
// became of it, the status calwatch answered and how long that took (as
// the TUI feed's ST and MS columns; "-" when not known), then what it was.
func humanRecordLine(rec storage.DeliveryRecord, what string) string {
	latency := latencyCell(rec.Latency())
	if latency != "-" {
		latency += "ms"
	}
	return fmt.Sprintf("%s  #%-6d %-9s %3s %8s  %s", rec.ReceivedAt.Local().Format("15:04:05"), rec.ID, rec.Outcome,
		statusCell(rec.AnswerStatus), latency, what)
}

func (p *deliveryPrinter) storageError(err error) {
	p.enqueue(printLine{text: append([]byte("Error: "+safetext.Line(err.Error())), '\n')})
}

// enqueue never blocks: a line that does not fit is dropped and counted.
func (p *deliveryPrinter) enqueue(l printLine) {
	select {
	case p.queue <- l:
	default:
		p.dropped.Add(1)
	}
}

// writeLines is the one goroutine that writes. Once it has caught up after
// dropping lines it says how many; after stop it prints what is queued.
func (p *deliveryPrinter) writeLines() {
	defer close(p.done)
	for {
		select {
		case l := <-p.queue:
			p.write(l)
			if len(p.queue) == 0 {
				p.noteDropped(p.dropped.Swap(0))
			}
		case <-p.stop:
			for {
				select {
				case l := <-p.queue:
					p.write(l)
				default:
					p.noteDropped(p.dropped.Swap(0))
					return
				}
			}
		}
	}
}

func (p *deliveryPrinter) write(l printLine) {
	if !l.toOut {
		p.writeErrOut(l.text)
		return
	}
	if p.outBroken {
		return
	}
	if _, err := p.out.Write(l.text); err != nil {
		p.outBroken = true
		p.writeErrOut(fmt.Appendf(nil, "stdout was closed (%v): delivery lines are no longer printed, deliveries are still stored (see 'calwatch deliveries list')\n", err))
	}
}

func (p *deliveryPrinter) writeErrOut(text []byte) {
	if p.errOutBroken {
		return
	}
	if _, err := p.errOut.Write(text); err != nil {
		p.errOutBroken = true // nowhere left to say so
	}
}

func (p *deliveryPrinter) noteDropped(n int64) {
	if n > 0 {
		p.writeErrOut(p.droppedNotice(n))
	}
}

func (p *deliveryPrinter) droppedNotice(n int64) []byte {
	stream := "stderr"
	if p.json {
		stream = "stdout"
	}
	return fmt.Appendf(nil, "%d delivery lines were not printed: %s was not being read (they are all in the database; see 'calwatch deliveries list')\n", n, stream)
}

// close prints what is queued, waiting at most wait; if the writer is
// still stuck then, it says how many lines were not printed (without
// waiting on stderr longer than wait either) and returns. It is safe to
// call more than once, and record may still be called after it.
func (p *deliveryPrinter) close(wait time.Duration) {
	p.closeOnce.Do(func() {
		close(p.stop)
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-p.done:
			return
		case <-timer.C:
		}
		notice := p.droppedNotice(p.dropped.Swap(0) + int64(len(p.queue)))
		written := make(chan struct{})
		go func() {
			defer close(written)
			_, _ = p.errOut.Write(notice)
		}()
		timer.Reset(wait)
		select {
		case <-written:
		case <-timer.C:
		}
	})
}
