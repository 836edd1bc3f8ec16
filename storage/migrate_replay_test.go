package storage

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestReplayKeysMigrationKeepsTheKeys: a store from before 0015 (the
// fixtures, with their replay_keys rows, and one delivery an hour older)
// loses the replay_keys table, and a replay of one of its deliveries is
// still a duplicate of it: the keys are read back from the log, the old
// delivery's left out as outside the window.
func TestReplayKeysMigrationKeepsTheKeys(t *testing.T) {
	ctx := context.Background()
	path, conn, _ := rawStoreBefore(t, "0015_replay_keys_memory.sql")
	var stored int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM replay_keys`).Scan(&stored); err != nil || stored == 0 {
		t.Fatalf("the store before 0015 holds %d replay keys (%v); the fixture should have some", stored, err)
	}
	old := simpleDelivery(t, "old")
	if _, err := conn.ExecContext(ctx, `INSERT INTO deliveries (received_at, event, outcome, replay_key, signature_header, body)
		VALUES ('2026-06-01T08:00:00.000000Z', 'invitee.created', 'applied', ?, ?, ?)`, old.ReplayKey, old.SignatureHeader, old.Body); err != nil {
		t.Fatal(err)
	}
	var replay IncomingDelivery
	var id int64
	var received string
	if err := conn.QueryRowContext(ctx, `SELECT id, received_at, replay_key, signature_header, body FROM deliveries WHERE id = 3`).
		Scan(&id, &received, &replay.ReplayKey, &replay.SignatureHeader, &replay.Body); err != nil {
		t.Fatal(err)
	}
	var err error
	if replay.ReceivedAt, err = time.Parse(time.RFC3339Nano, received); err != nil {
		t.Fatal(err)
	}
	replay.ReceivedAt = replay.ReceivedAt.Add(time.Minute)
	conn.Close()

	s := openAt(t, path)
	defer s.Close()
	if n := countRows(t, s, `SELECT count(*) FROM sqlite_schema WHERE name IN ('replay_keys', 'replay_keys_first_seen')`); n != 0 {
		t.Errorf("%d of replay_keys and its index are left after 0015", n)
	}
	keys := replayKeysHeld(t, s)
	if len(keys) != stored || !slices.Contains(keys, replay.ReplayKey) || slices.Contains(keys, old.ReplayKey) {
		t.Errorf("after 0015 the writer holds %d replay keys (#3's: %v, the hour-old one's: %v); want the %d of the fixtures' deliveries",
			len(keys), slices.Contains(keys, replay.ReplayKey), slices.Contains(keys, old.ReplayKey), stored)
	}
	before := snapshot(t, s)
	rec, err := s.RecordDelivery(ctx, replay)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != id {
		t.Errorf("a replay of delivery #%d after 0015: %s of #%d, want a duplicate of #%d", id, rec.Outcome, rec.DuplicateOf, id)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("the replay changed the store:\n%s\nwant\n%s", after, before)
	}
}
