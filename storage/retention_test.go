package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// upkeepEveryBatch makes the writer run its upkeep after every batch, with
// the given policy changes.
func upkeepEveryBatch(s *Store, change func(*retention)) {
	s.w.limits.everyBatches = 1
	if change != nil {
		change(&s.w.limits)
	}
}

// afterUpkeep returns once the upkeep that follows the last batch is done:
// the writer does one thing at a time, so a write queued now runs after it.
func afterUpkeep(t *testing.T, s *Store) {
	t.Helper()
	if err := s.exec(context.Background(), func(context.Context, *sql.Conn) error { return nil }); err != nil {
		t.Fatal(err)
	}
}

func countRows(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.readDB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRefusedRowsKeepAPrefixAndTheDigest: a refused 64 KiB body with a
// 4 KiB signature header is stored as a 2 KiB prefix with the whole body's
// size and SHA-256, and 512 bytes of header.
func TestRefusedRowsKeepAPrefixAndTheDigest(t *testing.T) {
	s := openTestStore(t)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	header := "t=1,v1=" + strings.Repeat("é", 2048)        // 4 KiB of two-byte runes
	rec, err := s.RecordRefused(context.Background(), RefusedDelivery{ReceivedAt: testT0, SignatureHeader: header, Body: body, Reason: "signature does not match the body"})
	if err != nil {
		t.Fatal(err)
	}
	log, err := s.ListDeliveries(context.Background(), 0)
	if err != nil || len(log) != 1 {
		t.Fatalf("log = %s, %v", logSummary(log), err)
	}
	sum := sha256.Sum256(body)
	for _, got := range []DeliveryRecord{rec, log[0]} {
		if !bytes.Equal(got.Body, body[:RefusedBodyPrefix]) || got.BodySize != int64(len(body)) || !got.BodyTruncated {
			t.Errorf("stored body %d bytes of %d (truncated %v); want the %d-byte prefix of %d", len(got.Body), got.BodySize, got.BodyTruncated, RefusedBodyPrefix, len(body))
		}
		if got.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("body_sha256 = %q, want the digest of the whole body", got.BodySHA256)
		}
		if len(got.SignatureHeader) > MaxStoredSignatureHeader || len(got.SignatureHeader) < MaxStoredSignatureHeader-3 ||
			!strings.HasPrefix(header, got.SignatureHeader) || !utf8Valid(got.SignatureHeader) {
			t.Errorf("stored header is %d bytes; want a valid UTF-8 prefix of at most %d", len(got.SignatureHeader), MaxStoredSignatureHeader)
		}
	}
	small, err := s.RecordRefused(context.Background(), RefusedDelivery{ReceivedAt: testT0, Body: []byte(`{}`), Reason: "no signature"})
	if err != nil || small.BodyTruncated || string(small.Body) != `{}` || small.BodySize != 2 {
		t.Errorf("a small refused body: %s, %v; want it whole, not marked truncated", logSummary([]DeliveryRecord{small}), err)
	}
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// TestRefusedRowsAreARing: past the cap by count or by bytes the oldest
// refused rows go; accepted deliveries are not touched.
func TestRefusedRowsAreARing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		limits func(*retention)
		keep   int
	}{
		{"by count", func(r *retention) { r.refusedRows = 3 }, 3},
		{"by count and bytes, count binding", func(r *retention) { r.refusedRows, r.refusedBytes = 3, 3*RefusedBodyPrefix }, 3},
		{"by bytes", func(r *retention) { r.refusedBytes = 2*RefusedBodyPrefix + 100 }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t)
			upkeepEveryBatch(s, tc.limits)
			accepted := record(t, s, simpleDelivery(t, "kept"))[0]
			var ids []int64
			for i := range 6 {
				rec, err := s.RecordRefused(context.Background(), RefusedDelivery{ReceivedAt: testT0,
					Body: bytes.Repeat([]byte{'x'}, 3*RefusedBodyPrefix), Reason: fmt.Sprintf("refused #%d", i)})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, rec.ID)
			}
			afterUpkeep(t, s)
			log, err := s.ListDeliveries(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, r := range log {
				if r.Outcome == OutcomeRefused {
					got = append(got, r.ID)
				}
			}
			want := []int64{}
			for i := len(ids) - 1; i >= len(ids)-tc.keep; i-- {
				want = append(want, ids[i])
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("refused rows kept %v, want the newest %d: %v", got, tc.keep, want)
			}
			if log[len(log)-1].ID != accepted.ID {
				t.Errorf("the accepted delivery #%d is gone: %s", accepted.ID, logSummary(log))
			}
		})
	}
}

// TestReplayKeysExpire: a replay key older than twice the tolerance (as
// the listener's clock goes, give or take one bucket of the set) is
// forgotten, so the same signature is taken again; a younger one stays and
// still catches its duplicate.
func TestReplayKeysExpire(t *testing.T) {
	s := openTestStore(t)
	old := simpleDelivery(t, "old")
	first := record(t, s, old)[0]
	if rec := record(t, s, old)[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != first.ID {
		t.Fatalf("a replay at once: %s of #%d, want a duplicate of #%d", rec.Outcome, rec.DuplicateOf, first.ID)
	}
	age := ReplayKeyRetention + ReplayKeyRetention/replayKeyBuckets + time.Second
	young := simpleDelivery(t, "young")
	young.ReceivedAt = testT0.Add(age)
	record(t, s, young)
	if keys := replayKeysHeld(t, s); len(keys) != 1 || keys[0] != young.ReplayKey {
		t.Errorf("replay keys held after the clock moved %v: %d, want the young one only", age, len(keys))
	}
	if rec := record(t, s, old)[0]; rec.Outcome != OutcomeApplied {
		t.Errorf("a signature received %v before the newest delivery: outcome %s, want it forgotten (applied)", age, rec.Outcome)
	}
	if rec := record(t, s, young)[0]; rec.Outcome != OutcomeDuplicate {
		t.Errorf("a replay inside the window: outcome %s, want duplicate", rec.Outcome)
	}
}

// TestOldDeliveriesExpire: log rows older than the retention go, newest
// receipt time as the clock; the bookings they brought stay.
func TestOldDeliveriesExpire(t *testing.T) {
	s := openTestStore(t)
	upkeepEveryBatch(s, func(r *retention) { r.deliveries = 24 * time.Hour })
	record(t, s, simpleDelivery(t, "a"))
	b := simpleDelivery(t, "b")
	b.ReceivedAt = testT0.Add(25 * time.Hour)
	recB := record(t, s, b)[0]
	afterUpkeep(t, s)
	log, err := s.ListDeliveries(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].ID != recB.ID {
		t.Errorf("log = %s, want only the delivery younger than a day", logSummary(log))
	}
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != 2 {
		t.Errorf("%d events, want both bookings kept", len(evs))
	}
}

// TestPruneDeliveriesSaysWhatItRemoved: an explicit prune removes rows
// before the cutoff, of every outcome, and reports them.
func TestPruneDeliveriesSaysWhatItRemoved(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	body := []byte("refused body")
	if _, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0, SignatureHeader: "t=1,v1=00", Body: body, Reason: "bad signature"}); err != nil {
		t.Fatal(err)
	}
	old := record(t, s, simpleDelivery(t, "old"))[0]
	young := simpleDelivery(t, "young")
	young.ReceivedAt = testT0.Add(48 * time.Hour)
	kept := record(t, s, young)[0]

	report, err := s.PruneDeliveries(ctx, testT0.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantBytes := int64(len(body)+len("t=1,v1=00")) + old.BodySize + int64(len(old.SignatureHeader))
	if report.Deliveries != 2 || report.Refused != 1 || report.Bytes != wantBytes {
		t.Errorf("report = %+v, want 2 deliveries (1 refused) and %d bytes", report, wantBytes)
	}
	log, err := s.ListDeliveries(ctx, 0)
	if err != nil || len(log) != 1 || log[0].ID != kept.ID {
		t.Fatalf("log after prune = %s, %v; want only #%d", logSummary(log), err, kept.ID)
	}
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != 2 {
		t.Errorf("%d events after prune, want both bookings kept", len(evs))
	}
	if again, err := s.PruneDeliveries(ctx, testT0.Add(24*time.Hour)); err != nil || again != (PruneReport{}) {
		t.Errorf("second prune = %+v, %v; want nothing removed", again, err)
	}
}

// TestPrunedBytesLeaveTheFile: with secure_delete, a pruned row's bytes
// are not left behind in the database file. The pruned row sits between
// two kept ones, so its page stays in use and only secure_delete clears it.
func TestPrunedBytesLeaveTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	marker := []byte("secret-marker-" + strings.Repeat("z", 200))
	later := testT0.Add(48 * time.Hour)
	for _, r := range []RefusedDelivery{{ReceivedAt: later, Body: []byte("kept")}, {ReceivedAt: testT0, Body: marker}, {ReceivedAt: later, Body: []byte("kept")}} {
		r.Reason = "bad signature"
		if _, err := s.RecordRefused(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if report, err := s.PruneDeliveries(ctx, testT0.Add(time.Hour)); err != nil || report.Deliveries != 1 {
		t.Fatalf("prune = %+v, %v; want the one old row removed", report, err)
	}
	truncateWAL(t, s)
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, marker) {
			t.Errorf("%s still holds the pruned body", filepath.Base(p))
		}
	}
}

// TestOpenUpgradesAVersion1Log: a database written by the previous schema
// upgrades in place; its rows read back whole, and its replay keys still
// catch duplicates.
func TestOpenUpgradesAVersion1Log(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn := openRawConn(t, path)
	if err := migrateScripts(ctx, conn, all[:1]); err != nil {
		t.Fatal(err)
	}
	d := simpleDelivery(t, "v1")
	if _, err := conn.ExecContext(ctx, `INSERT INTO deliveries (received_at, event, outcome, replay_key, signature_header, body)
		VALUES (?, 'invitee.created', 'applied', ?, ?, ?)`, storedTime(d.ReceivedAt), d.ReplayKey, d.SignatureHeader, d.Body); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO replay_keys (key, first_seen) VALUES (?, ?)`, d.ReplayKey, storedTime(d.ReceivedAt)); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := s.ListDeliveries(ctx, 0)
	if err != nil || len(log) != 1 || !bytes.Equal(log[0].Body, d.Body) || log[0].BodyTruncated || log[0].BodySize != int64(len(d.Body)) {
		t.Fatalf("version-1 row after upgrade = %s, %v; want it whole", logSummary(log), err)
	}
	if rec := record(t, s, d)[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != log[0].ID {
		t.Errorf("replay of a version-1 delivery: %s, duplicate_of %d; want a duplicate of #%d (its log row is the record of its key)", rec.Outcome, rec.DuplicateOf, log[0].ID)
	}
}

// TestDeliveriesStreamsWithoutBodies: the table's read leaves bodies and
// headers out, says what was cut, and stops when the loop does.
func TestDeliveriesStreamsWithoutBodies(t *testing.T) {
	s := openTestStore(t)
	record(t, s, simpleDelivery(t, "a"), simpleDelivery(t, "b"))
	if _, err := s.RecordRefused(context.Background(), RefusedDelivery{ReceivedAt: testT0, Body: bytes.Repeat([]byte{'x'}, 3*RefusedBodyPrefix), Reason: "too big"}); err != nil {
		t.Fatal(err)
	}
	var seen []DeliveryRecord
	for r, err := range s.Deliveries(context.Background(), DeliveryQuery{}) {
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, r)
		if len(seen) == 2 {
			break
		}
	}
	if len(seen) != 2 || seen[0].Outcome != OutcomeRefused || !seen[0].BodyTruncated || seen[0].BodySize != 3*RefusedBodyPrefix {
		t.Fatalf("streamed %s; want the refused row first, marked truncated", logSummary(seen))
	}
	for _, r := range seen {
		if r.Body != nil || r.SignatureHeader != "" {
			t.Errorf("row #%d carries %d body bytes and header %q without Sent", r.ID, len(r.Body), r.SignatureHeader)
		}
	}
}

// FuzzRefusedRecord: whatever a refused request carries, its row keeps at
// most the prefix, header and reason bounds, as prefixes of what was sent
// (valid UTF-8 text stays valid), with the size and digest of the whole.
func FuzzRefusedRecord(f *testing.F) {
	f.Add([]byte(`{"event":"invitee.created"}`), "t=1,v1=00", "signature does not match")
	f.Add(bytes.Repeat([]byte{0xff}, 3*RefusedBodyPrefix), strings.Repeat("é", 600), strings.Repeat("\xe2\x82", 400))
	f.Fuzz(func(t *testing.T, body []byte, header, reason string) {
		rec := refusedRecord(RefusedDelivery{ReceivedAt: testT0, SignatureHeader: header, Body: body, Reason: reason})
		if len(rec.Body) > RefusedBodyPrefix || !bytes.HasPrefix(body, rec.Body) || rec.BodySize != int64(len(body)) || rec.BodyTruncated != (len(rec.Body) < len(body)) {
			t.Fatalf("body: kept %d of %d bytes (truncated %v)", len(rec.Body), len(body), rec.BodyTruncated)
		}
		if sum := sha256.Sum256(body); rec.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Fatal("body_sha256 is not the digest of the whole body")
		}
		for _, kept := range []struct{ got, sent string }{{rec.SignatureHeader, header}, {rec.Reason, reason}} {
			if len(kept.got) > 512 || !strings.HasPrefix(kept.sent, kept.got) || len(kept.got) < min(len(kept.sent), 512-utf8.UTFMax) { // a cut backs off to a rune's start, at most 4 bytes
				t.Fatalf("kept %d bytes of a %d-byte text", len(kept.got), len(kept.sent))
			}
			if utf8.ValidString(kept.sent) && !utf8.ValidString(kept.got) {
				t.Fatalf("cutting valid UTF-8 made it invalid: %q", kept.got)
			}
		}
	})
}

// TestUpkeepIsNotPerBatch: by default the log upkeep runs once every few
// hundred batches (or half a minute), not on the delivery hot path.
func TestUpkeepIsNotPerBatch(t *testing.T) {
	w := &writer{limits: defaultRetention, lastUpkeep: time.Now()}
	for i := 1; i < defaultRetention.everyBatches; i++ {
		if w.upkeepDue() {
			t.Fatalf("upkeep due after %d batches, want it after %d", i, defaultRetention.everyBatches)
		}
	}
	if !w.upkeepDue() {
		t.Errorf("upkeep not due after %d batches", defaultRetention.everyBatches)
	}
	w.lastUpkeep = time.Now().Add(-defaultRetention.every)
	if !w.upkeepDue() {
		t.Errorf("upkeep not due %v after the last one", defaultRetention.every)
	}
}
