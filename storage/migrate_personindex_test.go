package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// emailRows lists, for every email some activity row or contact has, the
// rowids of the rows with that email as activity_email found them (a
// plain match on email, here a scan) and as the person readers find them
// (personRows), so a test can tell the two apart.
func emailRows(t fataler, q queryer) (byEmail, byPerson map[string][]string) {
	t.Helper()
	byEmail, byPerson = map[string][]string{}, map[string][]string{}
	for _, email := range textRows(t, q, `SELECT email FROM activity UNION SELECT email FROM contacts`) {
		byEmail[email] = textRows(t, q, `SELECT rowid FROM activity WHERE +email = ? ORDER BY rowid`, email)
		byPerson[email] = textRows(t, q, `SELECT a.rowid FROM activity a WHERE `+personRows("?")+` ORDER BY a.rowid`, email)
	}
	return byEmail, byPerson
}

// personRowsDiffer names every email whose rows the person readers find
// otherwise than a match on email does.
func personRowsDiffer(t fataler, q queryer) []string {
	t.Helper()
	byEmail, byPerson := emailRows(t, q)
	var out []string
	for email, want := range byEmail {
		if got := byPerson[email]; !slices.Equal(got, want) {
			out = append(out, fmt.Sprintf("%s: person rows %v, rows with the email %v", email, got, want))
		}
	}
	slices.Sort(out)
	return out
}

// wrongStrays counts the rows whose stray flag is not "its email is not its
// invitee's" (0019's invariant is one way only; a flag set too many costs
// an index entry, and calwatch's writes leave none).
func wrongStrays(t fataler, q queryer) (missing, extra string) {
	t.Helper()
	flags := textRows(t, q, `
SELECT count(*) FILTER (WHERE stray = 0 AND own = 0), count(*) FILTER (WHERE stray = 1 AND own = 1)
FROM (SELECT a.stray, a.email IS (SELECT r.contact_email FROM recipients r WHERE r.id = a.invitee_id AND r.role = 'invitee') AS own
    FROM activity a)`)
	parts := strings.Split(flags[0], " | ")
	return parts[0], parts[1]
}

// TestPersonByInviteeMigrationKeepsAStore: a store just before 0019 (the
// fixtures, a rescheduled row of an invitee never stored, a no-show mark
// whose delivery carried another email than the invitee's) loses
// activity_email and reads every person's activity as before: the same
// rows in the same order, the same kept counts and last activity; every
// row that is not its invitee's is flagged a stray; later deliveries,
// one moving an invitee to another email, keep it so.
func TestPersonByInviteeMigrationKeepsAStore(t *testing.T) {
	ctx := context.Background()
	path, conn, _ := rawStoreBefore(t, "0019_person_by_invitee.sql")
	var someID int64
	if err := conn.QueryRowContext(ctx, `SELECT min(invitee_id) FROM activity WHERE invitee_id > 0`).Scan(&someID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO activity (invitee_id, kind, mark, identity, email, at, invitee_stored)
VALUES (0, 'rescheduled', 'https://api.calendly.com/scheduled_events/GONE/invitees/X', 'rescheduled:https://api.calendly.com/scheduled_events/GONE/invitees/X',
    'lee@example.com', '2024-05-01T10:00:00Z', 'https://api.calendly.com/scheduled_events/NEW/invitees/Y')`,
		fmt.Sprintf(`INSERT INTO activity (invitee_id, kind, mark, identity, email, at)
VALUES (%d, 'no_show', 'elsewhere', 'no_show:elsewhere', 'lee@example.com', '2024-05-02T10:00:00Z')`, someID),
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const oldList = `SELECT identity, kind, at, event_uri, invitee_uri FROM activity WHERE email = ? ORDER BY at DESC, identity`
	emails := textRows(t, conn, `SELECT DISTINCT email FROM activity ORDER BY email`)
	listsBefore := map[string][]string{}
	for _, email := range emails {
		listsBefore[email] = textRows(t, conn, oldList, email)
	}
	if len(listsBefore["lee@example.com"]) != 2 {
		t.Fatalf("Lee's rows before: %q, want the two made by hand", listsBefore["lee@example.com"])
	}
	countsBefore := rawKeptCounts(t, conn)
	conn.Close()

	s := openMatchingGolden(t, path, "person by invitee")
	if n := countRows(t, s, `SELECT count(*) FROM sqlite_schema WHERE name = 'activity_email'`); n != 0 {
		t.Error("activity_email is left after 0019")
	}
	for _, email := range emails {
		got := textRows(t, s.readDB, `
SELECT a.identity, a.kind, a.at, a.event_uri, a.invitee_uri FROM activity a WHERE `+personRows("?")+`
ORDER BY a.at DESC, a.identity`, email)
		if !slices.Equal(got, listsBefore[email]) {
			t.Errorf("%s's activity after 0019:\n%s\nwant as before:\n%s", email, strings.Join(got, "\n"), strings.Join(listsBefore[email], "\n"))
		}
	}
	if got := rawKeptCounts(t, s.readDB); !slices.Equal(got, countsBefore) {
		t.Errorf("kept columns after 0019:\n%s\nwant as before:\n%s", strings.Join(got, "\n"), strings.Join(countsBefore, "\n"))
	}
	if missing, extra := wrongStrays(t, s.readDB); missing != "0" || extra != "0" {
		t.Errorf("after 0019 %s rows not their invitee's are not flagged strays and %s flagged rows are", missing, extra)
	}
	if n := countRows(t, s, `SELECT count(*) FROM activity WHERE stray = 1`); n != 2 {
		t.Errorf("%d strays after 0019, want the two made by hand", n)
	}

	// A fixture contact books again, and that invitee moves to Lee's
	// email: the rows follow, and only the hand-made ones stay strays.
	later := testT0.AddDate(1, 0, 0)
	ev := newEvent("again", later, 1)
	again := newInvitee(ev, "again", "ola@client.example", "Ola", later)
	record(t, s, signedDelivery(t, inviteeBody(t, "invitee.created", later, again, ev), later))
	moved := *again
	moved.Email = "Lee@Example.com"
	moved.UpdatedAt.Time = later.Add(time.Hour)
	record(t, s, signedDelivery(t, inviteeBody(t, "invitee.created", later.Add(time.Hour), &moved, ev), later.Add(time.Hour)))
	lee := mustContact(t, s, "lee@example.com")
	if len(lee.Activity) != 3 || lee.Activity[0].InviteeURI != again.URI {
		t.Errorf("Lee's activity after the move: %+v; want the moved booking first, then the two made by hand", lee.Activity)
	}
	if differ := personRowsDiffer(t, s.readDB); len(differ) > 0 {
		t.Errorf("after the move:\n%s", strings.Join(differ, "\n"))
	}
	if differ := storedCountsDiffer(t, s); len(differ) > 0 {
		t.Errorf("after the move, kept counts differ from the rows:\n%s", strings.Join(differ, "\n"))
	}
	if missing, extra := wrongStrays(t, s.readDB); missing != "0" || extra != "0" {
		t.Errorf("after the move %s rows not their invitee's are not flagged strays and %s flagged rows are", missing, extra)
	}
}

// TestPersonRowsAreTheEmailRowsAfterEveryWrite: whatever any writer does
// to invitees, links and activity (emails and keys changed by hand, rows
// deleted, rows of ids no invitee has), after each write the rows the
// person readers find for an email are exactly the rows with that email:
// the stray flag never misses one.
func TestPersonRowsAreTheEmailRowsAfterEveryWrite(t *testing.T) {
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		conn := openScriptedConn(t, root, all)
		var done []string
		for range rapid.IntRange(1, 40).Draw(t, "steps") {
			done = append(done, rawWrite(t, conn, true))
			if differ := personRowsDiffer(t, conn); len(differ) > 0 {
				t.Fatalf("after:\n  %s\n%s", strings.Join(done, "\n  "), strings.Join(differ, "\n"))
			}
			if missing, _ := wrongStrays(t, conn); missing != "0" {
				t.Fatalf("after:\n  %s\n%s rows not their invitee's are not flagged strays", strings.Join(done, "\n  "), missing)
			}
		}
	})
}

// TestPersonReadsGoThroughInvitees: every read of one person's activity
// (the pane's pages, the summary, contacts show, the date filter of the
// contact list) finds the rows from the person's invitees
// (recipients_contact, activity_key) and the strays (activity_stray),
// never a scan.
func TestPersonReadsGoThroughInvitees(t *testing.T) {
	s := openTestStore(t)
	t0 := storedTime(testT0)
	between, betweenArgs := contactsQuery(ContactFilter{From: testT0, To: testT0})
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"activity page":    {sqlActivityPage, []any{"a@x", 50}},
		"next page":        {sqlActivityPageAfter, []any{"a@x", t0, "id", 50}},
		"contacts show":    {sqlContactShowActivity, []any{"a@x"}},
		"first seen":       {sqlFirstSeen, []any{"a@x"}},
		"booked since":     {sqlBookedSince, []any{"a@x", t0, 10}},
		"contacts from to": {between, betweenArgs},
	} {
		plan := strings.Join(queryPlan(t, s, q.sql, q.args), "\n")
		for _, step := range []string{"INDEX recipients_contact (contact_email=?)", "INDEX activity_key (invitee_id=?)",
			"INDEX activity_stray (email=?)"} {
			if !strings.Contains(plan, step) {
				t.Errorf("%s does not search %q:\n%s", name, step, plan)
			}
		}
		for _, line := range strings.Split(plan, "\n") {
			if strings.HasPrefix(line, "SCAN ") && !(name == "contacts from to" && strings.Contains(line, "contacts_last")) {
				t.Errorf("%s scans: %q", name, line)
			}
		}
	}
}
