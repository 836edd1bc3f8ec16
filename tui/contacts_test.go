package tui

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// listTitle is the contacts list's top border line.
func listTitle(m *Model) string {
	for _, line := range strings.Split(screen(m), "\n") {
		if strings.Contains(line, "[4] Contacts") {
			return line
		}
	}
	return ""
}

// inOrder reports the first pair of rows out of sort's order (most first,
// the email breaking ties), or "".
func inOrder(rows []storage.ContactView, sort storage.ContactSort) string {
	key := func(c storage.ContactView) int64 {
		switch sort {
		case storage.ContactsByBookings:
			return int64(c.Bookings)
		case storage.ContactsByNoShows:
			return int64(c.NoShows)
		}
		if c.LastActivityAt == nil {
			return -1
		}
		return c.LastActivityAt.UnixNano()
	}
	for i := 1; i < len(rows); i++ {
		a, b := rows[i-1], rows[i]
		if cmp.Or(cmp.Compare(key(b), key(a)), strings.Compare(a.Email, b.Email)) > 0 {
			return fmt.Sprintf("%s (%d) before %s (%d)", a.Email, key(a), b.Email, key(b))
		}
	}
	return ""
}

// TestContactsSortKeyCyclesTheOrder: s steps last → bookings → no-shows →
// last; each time the list is re-read in that order and the title says
// which.
func TestContactsSortKeyCyclesTheOrder(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4")
	for _, want := range []storage.ContactSort{storage.ContactsByLast, storage.ContactsByBookings, storage.ContactsByNoShows, storage.ContactsByLast} {
		if title := listTitle(m); !strings.Contains(title, "↓ "+want.String()) {
			t.Errorf("sorted by %s, the title says %q", want, title)
		}
		if len(m.contacts.rows) < 10 {
			t.Fatalf("the filled store lists %d contacts; want enough to see an order", len(m.contacts.rows))
		}
		if bad := inOrder(m.contacts.rows, want); bad != "" {
			t.Errorf("sorted by %s: %s", want, bad)
		}
		keys(t, m, "s")
	}
	if !strings.Contains(footerOf(m), "s sort (last│bookings│no-shows)") {
		t.Errorf("the footer does not offer the sort: %q", footerOf(m))
	}
}

// TestContactsSortedDifferentlyPageOnScroll: scrolling to the end of the
// bookings order reads the next pages in the same order, every contact once.
func TestContactsSortedDifferentlyPageOnScroll(t *testing.T) {
	store := filledStore(t)
	all, err := store.Panes().CountContacts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, store, Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4", "s")
	for range all {
		keys(t, m, "j")
	}
	seen := map[string]bool{}
	for _, r := range m.contacts.rows {
		seen[r.Email] = true
	}
	if len(m.contacts.rows) != all || len(seen) != all {
		t.Errorf("after scrolling: %d rows, %d distinct, want all %d once", len(m.contacts.rows), len(seen), all)
	}
	if bad := inOrder(m.contacts.rows, storage.ContactsByBookings); bad != "" {
		t.Errorf("pages by bookings: %s", bad)
	}
}

// TestContactsSearchKeepsTheSort: a search under the no-shows order lists
// only people whose name or email starts with it, still by no-shows, and
// the count says how many match.
func TestContactsSearchKeepsTheSort(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4", "s", "s", "/", "j")
	if m.contacts.sort != storage.ContactsByNoShows {
		t.Fatalf("sort = %s, want no-shows", m.contacts.sort)
	}
	if len(m.contacts.rows) < 2 {
		t.Fatalf("searching j finds %d contacts in the filled store; want Jane and José", len(m.contacts.rows))
	}
	for _, r := range m.contacts.rows {
		if !strings.HasPrefix(strings.ToLower(r.Name), "j") && !strings.HasPrefix(r.Email, "j") {
			t.Errorf("search j lists %q <%s>", r.Name, r.Email)
		}
	}
	if bad := inOrder(m.contacts.rows, storage.ContactsByNoShows); bad != "" {
		t.Errorf("search under no-shows: %s", bad)
	}
	if title := listTitle(m); !strings.Contains(title, "↓ no-shows") || !strings.Contains(title, fmt.Sprintf("(%d of", len(m.contacts.rows))) {
		t.Errorf("title = %q, want the order and %d matches", title, len(m.contacts.rows))
	}
	keys(t, m, "enter", "s")
	if m.contacts.search() != "j" || m.contacts.sort != storage.ContactsByLast {
		t.Errorf("s after the search: search %q, sort %s; want the search kept and the order last", m.contacts.search(), m.contacts.sort)
	}
	if bad := inOrder(m.contacts.rows, storage.ContactsByLast); bad != "" {
		t.Errorf("search re-sorted by last: %s", bad)
	}
}

// TestContactsSparklineCountsBookingsPerWeek: the selected person's
// sparkline has one cell per week of the last six, each the number of
// bookings they made that week, as their activity lists them.
func TestContactsSparklineCountsBookingsPerWeek(t *testing.T) {
	store := filledStore(t)
	m := newTestModel(t, store, Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4", "s") // by bookings: the first has the most
	email := m.contacts.selectedEmail()
	var booked []time.Time
	q := storage.ActivityPage{Email: email, Limit: 200}
	for {
		page, err := store.Panes().ContactActivity(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			if a.Kind == storage.KindBooked && a.At != nil {
				booked = append(booked, *a.At)
			}
		}
		if len(page) < q.Limit {
			break
		}
		q.AfterAt, q.AfterIdentity = *page[len(page)-1].At, page[len(page)-1].Identity
	}
	var weeks [6]int
	for _, at := range booked {
		ago := testNow.Sub(at)
		if ago > 0 && ago <= 42*24*time.Hour {
			weeks[5-int((ago-1)/(7*24*time.Hour))]++
		}
	}
	if weeks == [6]int{} {
		t.Fatalf("%s made no bookings in the last six weeks of the fixture; pick another", email)
	}
	want := ""
	for _, n := range weeks {
		want += map[int]string{0: "·", 1: "▁", 2: "▂", 3: "▃", 4: "▄", 5: "▅", 6: "▆", 7: "▇"}[min(n, 7)]
		if n >= 8 {
			want = want[:len(want)-len("▇")] + "█"
		}
	}
	if s := screen(m); !strings.Contains(s, want+"  bookings per week, last 6 weeks") {
		t.Errorf("%s booked %v per week; the sparkline should read %s:\n%s", email, weeks, want, s)
	}
}

func TestSparklineScale(t *testing.T) {
	if got := sparkline([]int{0, 1, 2, 5, 8, 30}); got != "·▁▂▅██" {
		t.Errorf("sparkline = %q, want ·▁▂▅██ (one cell a week, ▁ one booking, █ eight or more)", got)
	}
}

// TestContactsPersonSideShowsFirstSeenAndNext: the right side says when the
// person was first seen and, when one is ahead, their next booking with
// how soon it starts.
func TestContactsPersonSideShowsFirstSeenAndNext(t *testing.T) {
	store := filledStore(t)
	m := newTestModel(t, store, Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4")
	for range 40 {
		sum, err := store.Panes().PersonSummary(context.Background(), m.contacts.selectedEmail(), testNow, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Next == nil {
			keys(t, m, "j")
			continue
		}
		s := screen(m)
		want := fmt.Sprintf("NEXT   %s · %s · in %s", sum.Next.Start.In(berlin).Format("Mon 2 Jan 15:04"),
			sum.Next.Name, shortDuration(sum.Next.Start.Sub(testNow)))
		if !strings.Contains(s, want) || !strings.Contains(s, "· first seen ") {
			t.Errorf("want %q and the first sighting on the right:\n%s", want, s)
		}
		return
	}
	t.Fatal("none of the first 40 contacts has a booking ahead")
}

// TestContactsCopyEmail: y puts the selected contact's email on the
// clipboard and says so.
func TestContactsCopyEmail(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	m.flashTimers = false
	keys(t, m, "4", "j")
	email := m.contacts.selectedEmail()
	_, cmd := m.Update(keyPress("y"))
	if cmd == nil {
		t.Fatal("y in contacts did nothing")
	}
	msgs := []tea.Msg{cmd()}
	if batch, ok := msgs[0].(tea.BatchMsg); ok {
		msgs = msgs[:0]
		for _, c := range batch {
			if c != nil {
				msgs = append(msgs, c())
			}
		}
	}
	if got := fmt.Sprint(msgs); !strings.Contains(got, email) {
		t.Errorf("y sent %v, want the clipboard set to %s", got, email)
	}
	if !strings.Contains(footerOf(m), "✓ copied "+email) {
		t.Errorf("the footer does not confirm the copy: %q", footerOf(m))
	}
}

// TestContactsOOpensTheSelectedActivityBooking: o opens the booking of the
// activity row the cursor is on: the newest from the list, the chosen one
// in the activity list.
func TestContactsOOpensTheSelectedActivityBooking(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4")
	if len(m.contacts.activity) < 2 {
		t.Fatalf("the first contact has %d activity rows; want two", len(m.contacts.activity))
	}
	newest, second := m.contacts.activity[0].EventURI, m.contacts.activity[1].EventURI
	keys(t, m, "o")
	if m.view != viewDetail || m.detail.uri != newest {
		t.Errorf("o from the list opened %q (view %d), want the newest activity's booking %q", m.detail.uri, m.view, newest)
	}
	keys(t, m, "esc", "enter", "j", "o")
	if !m.contacts.inActivity || m.view != viewDetail || m.detail.uri != second {
		t.Errorf("⏎ j o opened %q (in activity %v), want the second activity's booking %q", m.detail.uri, m.contacts.inActivity, second)
	}
	if !slices.Contains([]string{newest, second}, m.detail.uri) {
		t.Errorf("opened %q, not one of the person's bookings", m.detail.uri)
	}
}
