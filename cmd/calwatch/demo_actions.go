package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
)

// demoActor is the demo's B/C/M/N keys: book, cancel, reschedule and mark
// a no-show through the emulator's scenario methods, which then deliver
// the webhook like Calendly would.
type demoActor struct {
	emu    *calendlytest.Server
	reader tui.Reader
	now    func() time.Time
	mu     sync.Mutex
	rng    *rand.Rand
}

func newDemoActor(emu *calendlytest.Server, reader tui.Reader, seed int64) *demoActor {
	return &demoActor{emu: emu, reader: reader, now: time.Now, rng: rand.New(rand.NewPCG(uint64(seed), 0xca1))}
}

// demoPeople are who the B key books.
var demoPeople = []string{"Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Linus Pauling", "Zoë Ørsted", "李 小龙"}

var demoEventNames = []string{"Intro Call", "Demo", "Quick sync"}

func (d *demoActor) intN(n int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.IntN(n)
}

// Demo implements tui.DemoActions.
func (d *demoActor) Demo(ctx context.Context, act tui.DemoAction, eventURI string) (string, error) {
	now := d.now()
	if act == tui.DemoBook {
		who := d.intN(len(demoPeople))
		name := demoPeople[who]
		start := now.Truncate(time.Hour).Add(time.Duration(1+d.intN(72)) * time.Hour)
		email := fmt.Sprintf("person%d.%d@demo.example", who, d.intN(1000))
		if _, err := d.emu.Book(calendlytest.BookRequest{Email: email, Name: name,
			EventName: demoEventNames[d.intN(len(demoEventNames))], StartTime: start}); err != nil {
			return "", err
		}
		return fmt.Sprintf("booked %s · %s", name, start.Local().Format("Mon 2 Jan 15:04")), nil
	}
	inv, start, err := d.pickInvitee(ctx, act, eventURI, now)
	if err != nil {
		return "", err
	}
	switch act {
	case tui.DemoCancel:
		err = d.emu.Cancel(calendlytest.CancelRequest{Invitee: inv.URI, Reason: "canceled from the calwatch demo", By: "invitee"})
		return "canceled " + inv.Name, err
	case tui.DemoReschedule:
		to := start.Add(24 * time.Hour)
		if _, err := d.emu.Reschedule(calendlytest.RescheduleRequest{Invitee: inv.URI, StartTime: to}); err != nil {
			return "", err
		}
		return fmt.Sprintf("moved %s to %s", inv.Name, to.Local().Format("Mon 2 Jan 15:04")), nil
	case tui.DemoNoShow:
		return inv.Name + " marked a no-show", d.emu.MarkNoShow(inv.URI)
	}
	return "", fmt.Errorf("unknown demo action %v", act)
}

// fits says whether booking b can take act at now: cancel and reschedule
// an upcoming one, a no-show one that has started.
func fits(act tui.DemoAction, start time.Time, now time.Time) bool {
	if act == tui.DemoNoShow {
		return start.Before(now)
	}
	return start.After(now)
}

// pickInvitee is an active invitee of eventURI when it fits act, else of a
// booking chosen at random among those that do.
func (d *demoActor) pickInvitee(ctx context.Context, act tui.DemoAction, eventURI string, now time.Time) (storage.InviteeView, time.Time, error) {
	if eventURI != "" {
		if inv, start, ok := d.activeInvitee(ctx, act, eventURI, now); ok {
			return inv, start, nil
		}
	}
	from, to := now, now.AddDate(0, 0, 14)
	if act == tui.DemoNoShow {
		from, to = now.AddDate(0, 0, -7), now
	}
	rows, err := d.reader.Bookings(ctx, from, to)
	if err != nil {
		return storage.InviteeView{}, time.Time{}, err
	}
	var fit []storage.BookingRow
	for _, r := range rows {
		if r.Status == "active" && r.Invitees > 0 && fits(act, r.Start, now) {
			fit = append(fit, r)
		}
	}
	for len(fit) > 0 {
		i := d.intN(len(fit))
		if inv, start, ok := d.activeInvitee(ctx, act, fit[i].EventURI, now); ok {
			return inv, start, nil
		}
		fit = append(fit[:i], fit[i+1:]...)
	}
	return storage.InviteeView{}, time.Time{}, errors.New("no booking fits; press B to book one first")
}

func (d *demoActor) activeInvitee(ctx context.Context, act tui.DemoAction, eventURI string, now time.Time) (storage.InviteeView, time.Time, bool) {
	ev, err := d.reader.Event(ctx, eventURI)
	if err != nil || ev.Status != "active" || ev.StartTime == nil || !fits(act, *ev.StartTime, now) {
		return storage.InviteeView{}, time.Time{}, false
	}
	for _, inv := range ev.Invitees {
		if inv.Status == "active" && !(act == tui.DemoNoShow && inv.NoShow) {
			return inv, *ev.StartTime, true
		}
	}
	return storage.InviteeView{}, time.Time{}, false
}

// demoBackend is the demo's Hub with replay and the demo keys.
type demoBackend struct {
	replayingBackend
	*demoActor
}
