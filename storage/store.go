// Package storage is calwatch's SQLite room: embedded migrations, the
// booking lifecycle (one verified delivery applied in one transaction with
// its delivery-log row, group-committed), the read models the CLI and panes
// show, the delivery log, and the integration's secrets at rest.
//
// Applying is idempotent and order-independent. Deliveries and backfill
// reads become one normalised change; every stored field is a
// last-writer-wins register on Calendly's own timestamps (updated_at of the
// scheduled event or invitee, canceled sticky, the no-show's own time, or
// for a backfill snapshot that shows no no-show, the time it was read) with
// a content digest as tie-break; reschedule links and contacts are unions; and
// the booked / canceled / rescheduled history is derived from that state, so
// the same set of deliveries reads back the same in any order.
//
// One goroutine owns the only write connection and commits small batches
// (a bad item fails alone; a batch whose transaction SQLite dropped fails
// whole); every queued caller is answered with what the commit did.
// Queries use a separate read-only pool, and OpenReadOnly opens a store
// with no writer at all. The delivery log stays bounded whatever is sent:
// refused requests keep a prefix in a capped ring, duplicates keep no body,
// old rows expire (retention.go), and the replay keys of the last few
// minutes live in the writer's memory, read back from the log at Open
// (replaykeys.go).
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is calwatch's database. It is safe for concurrent use. A store
// from OpenReadOnly has no writer: its writes return ErrReadOnly.
type Store struct {
	path    string
	writeDB *sql.DB // one connection, owned by the writer goroutine
	readDB  *sql.DB // a small pool for queries
	conn    *sql.Conn
	st      *statements
	logSt   *logStatements
	w       *writer
	ckpt    *checkpointer // nil for a read-only store
	subs    subscribers
	closeMu sync.Mutex
	closed  bool
}

// Path is the database file this store opened.
func (s *Store) Path() string { return s.path }

// Open opens (creating and migrating if needed) the database at path.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := openOptions{writerCacheKiB: defaultWriterCacheKiB}
	for _, opt := range opts {
		opt(&o)
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	s := &Store{path: path}
	ok := false
	defer func() {
		if !ok {
			s.closeDBs()
		}
	}()
	var err error
	if s.writeDB, err = sql.Open("sqlite3", dsn(path, writeParams)); err != nil {
		return nil, fmt.Errorf("storage: cannot open %s: %w", path, err)
	}
	s.writeDB.SetMaxOpenConns(1)
	s.writeDB.SetMaxIdleConns(1)
	s.writeDB.SetConnMaxLifetime(0)
	s.writeDB.SetConnMaxIdleTime(0)
	if s.conn, err = connectWriter(ctx, s.writeDB); err != nil {
		return nil, fmt.Errorf("storage: cannot open %s (is it a calwatch database?): %w", path, err)
	}
	var mode string
	if err := s.conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return nil, fmt.Errorf("storage: cannot read %s (is it a calwatch database?): %w", path, err)
	}
	if mode != "wal" {
		return nil, fmt.Errorf("storage: %s is not in WAL mode (journal_mode=%s); is its folder on a network drive?", path, mode)
	}
	if err := migrate(ctx, s.conn, o.onUpgrade); err != nil {
		return nil, err
	}
	if err := tuneWriter(ctx, s.conn, o); err != nil {
		return nil, err
	}
	if s.st, err = prepareStatements(ctx, s.conn); err != nil {
		return nil, err
	}
	if s.logSt, err = prepareLogStatements(ctx, s.conn); err != nil {
		return nil, err
	}
	if s.readDB, err = sql.Open("sqlite3", dsn(path, readParams)); err != nil {
		return nil, fmt.Errorf("storage: cannot open %s: %w", path, err)
	}
	s.readDB.SetMaxOpenConns(4)
	s.readDB.SetMaxIdleConns(4)
	if err := s.readDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("storage: cannot open %s for reading: %w", path, err)
	}
	replay := newReplayKeys(ReplayKeyRetention)
	if err := replay.load(ctx, s.conn); err != nil {
		return nil, err
	}
	if s.ckpt, err = startCheckpointer(ctx, path, checkpointItems, checkpointRestartFrames, checkpointDelay); err != nil {
		return nil, err
	}
	s.w = newWriter(s.conn, s.st, s.logSt, replay, func(items int) {
		s.ckpt.committed(s.conn, items)
		s.subs.notify()
	})
	ok = true
	return s, nil
}

// Close waits for pending writes and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.w != nil {
		s.w.close()
	}
	s.subs.closeAll()
	return s.closeDBs()
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	if s.st != nil {
		s.st.close()
	}
	if s.logSt != nil {
		s.logSt.close()
	}
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
	}
	for _, db := range []*sql.DB{s.readDB, s.writeDB} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("storage: closing %s: %w", s.path, err)
	}
	return nil
}

// Outcome is what became of a delivery.
type Outcome string

// The outcomes of a delivery.
const (
	OutcomeApplied   Outcome = "applied"
	OutcomeDuplicate Outcome = "duplicate"
	OutcomeRefused   Outcome = "refused"
	// OutcomeFailed is a verified delivery that could not be applied (and
	// was not acknowledged, so Calendly retries it).
	OutcomeFailed Outcome = "failed"
)

// IncomingDelivery is a delivery whose signature verified and whose body
// parsed, ready to be recorded and applied.
type IncomingDelivery struct {
	ReceivedAt      time.Time
	SignatureHeader string
	ReplayKey       string // calendly.ParsedSignature.ReplayKey(): same key, same delivery
	Body            []byte // the raw bytes, exactly as received
	Parsed          *calendly.Delivery
	// Headers are the request's headers as received (nil: unknown); at
	// most MaxStoredHeaders of them are kept (see encodeHeaders).
	Headers http.Header
	// AnswerStatus is the status the sender is answered once the delivery
	// is stored (0: unknown); a delivery whose apply fails is logged
	// without one, and RecordAnswer says what it was answered.
	AnswerStatus int

	headersColumn string // Headers as stored, encoded by prepareIncoming
	headersKept   []Header
	headersCut    int
}

// RefusedDelivery is a request that was not accepted (bad signature, bad
// body, too large). It is logged so a developer can see what was sent.
type RefusedDelivery struct {
	ReceivedAt      time.Time
	SignatureHeader string
	Body            []byte // may be truncated
	Reason          string // why it was refused; never secret
	// Headers are the request's headers as received (nil: unknown); at
	// most MaxStoredRefusedHeaders of them are kept.
	Headers http.Header
	// AnswerStatus is the status the sender was answered (0: unknown).
	AnswerStatus int
}

// DeliveryRecord is one row of the delivery log.
type DeliveryRecord struct {
	ID              int64     `json:"id"`
	ReceivedAt      time.Time `json:"received_at"`
	Event           string    `json:"event"`
	Outcome         Outcome   `json:"outcome"`
	Reason          string    `json:"reason"`
	Invitee         string    `json:"invitee"` // invitee URI, "" when none
	InviteeEmail    string    `json:"invitee_email"`
	EventURI        string    `json:"event_uri"` // scheduled event URI, "" when none
	SignatureHeader string    `json:"-"`         // at most 512 bytes of it for a refused request
	Body            []byte    `json:"-"`         // what is kept of the body; see BodyTruncated

	// BodySize is how many bytes were received; BodyTruncated is true when
	// Body holds fewer (a refused request keeps a 2 KiB prefix, a duplicate
	// none). BodySHA256 is the hex SHA-256 of the whole body when only part
	// of it is kept ("" otherwise). DuplicateOf is, for a duplicate, the id
	// of the delivery first received with the same signature (0: unknown).
	BodySize      int64  `json:"-"`
	BodyTruncated bool   `json:"-"`
	BodySHA256    string `json:"-"`
	DuplicateOf   int64  `json:"-"`

	// AnswerStatus is the HTTP status calwatch answered (0: unknown, as
	// for rows stored before it was kept). LatencyMicros is how long from
	// the start of the request to the answer, in microseconds (0: not
	// known yet, or never). Both come with RecordAnswer for a row whose
	// answer was not known when it was stored.
	AnswerStatus  int   `json:"answer_status,omitempty"`
	LatencyMicros int64 `json:"latency_us,omitempty"`

	// Headers are the request's headers other than the signature header
	// (which is SignatureHeader), sorted by name, as far as they were kept;
	// HeadersCut is how many more were received but not kept. Nil when
	// they were not read or not stored (rows from before they were kept).
	Headers    []Header `json:"-"`
	HeadersCut int      `json:"-"`

	// ReplayOf is the delivery id the request's Calwatch-Replay-Of header
	// named (0: none): a hint only, since anyone can send it. Read by the
	// panes' queries (FeedRow, Panes.Delivery); 0 elsewhere.
	ReplayOf int64 `json:"-"`

	headersColumn string // Headers as stored, for the writer
}

// Latency is LatencyMicros as a duration (0: unknown).
func (r DeliveryRecord) Latency() time.Duration {
	return time.Duration(r.LatencyMicros) * time.Microsecond
}

// RecordDelivery stores d and applies its effect in one transaction, and
// returns only once that transaction is durably committed. A delivery with
// a ReplayKey seen before is recorded as a duplicate and changes nothing.
func (s *Store) RecordDelivery(ctx context.Context, d IncomingDelivery) (DeliveryRecord, error) {
	d, err := prepareIncoming(d)
	if err != nil {
		return DeliveryRecord{}, err
	}
	return s.w.submit(ctx, &writeRequest{delivery: &d})
}

// RecordRefused logs a refused request. It changes no booking. It never
// holds up accepted deliveries: refused requests queue apart, a few ride
// along each commit, and when their queue is full ErrRefusedLogFull is
// returned at once.
//
// Only a prefix of the body (2 KiB) is kept, with the whole body's size and
// SHA-256, and at most 512 bytes of the signature header; the refused rows
// form a ring (see MaxRefusedRows) whose oldest rows go.
func (s *Store) RecordRefused(ctx context.Context, r RefusedDelivery) (DeliveryRecord, error) {
	rec := refusedRecord(r)
	return s.w.submit(ctx, &writeRequest{refused: &rec})
}

// ApplyScheduledEvent applies what a backfill read from Calendly (GET
// /scheduled_events/{uuid} and its invitees) through the same rules as
// deliveries, in one transaction, without a delivery-log row. It says
// nothing about no-shows that were removed; ApplySnapshot with ReadAt does.
func (s *Store) ApplyScheduledEvent(ctx context.Context, ev calendly.ScheduledEvent, invitees []calendly.Invitee) error {
	return s.ApplySnapshot(ctx, Snapshot{Event: ev, Invitees: invitees})
}

// Snapshot is a scheduled event and its invitees as read from Calendly.
type Snapshot struct {
	Event    calendly.ScheduledEvent
	Invitees []calendly.Invitee
	// ReadAt is when the invitees were read: take it before the request
	// goes out. When set, an invitee whose no_show is null is known not to
	// be a no-show at ReadAt, which clears an older mark (one whose removal
	// was missed) but never a mark made later. Zero: a null no_show says
	// nothing.
	ReadAt time.Time
}

// ApplySnapshot applies a backfill read through the same rules as
// deliveries, in one transaction, without a delivery-log row.
func (s *Store) ApplySnapshot(ctx context.Context, snap Snapshot) error {
	if snap.Event.URI == "" {
		return errors.New("storage: the scheduled event has no uri; nothing to apply")
	}
	_, err := s.w.submit(ctx, &writeRequest{changes: changesFromSnapshot(snap.Event, snap.Invitees, snap.ReadAt)})
	return err
}

// EventFilter narrows ListEvents and Events. Zero fields do not filter.
type EventFilter struct {
	From, To time.Time // events starting in [From, To)
	Status   string    // "active" or "canceled"
	Limit    int       // at most this many (Events); ≤ 0: all
}

// EventView is a scheduled event as `calwatch events list --json` prints it.
type EventView struct {
	URI          string                 `json:"uri"`
	Name         string                 `json:"name"`
	StartTime    *time.Time             `json:"start_time"`
	EndTime      *time.Time             `json:"end_time"`
	Status       string                 `json:"status"`
	Location     *calendly.Location     `json:"location"`
	Hosts        []HostView             `json:"hosts"`
	Invitees     []InviteeView          `json:"invitees"`
	Guests       []GuestView            `json:"guests"`
	Cancellation *calendly.Cancellation `json:"cancellation"`
}

// HostView is a host of an event.
type HostView struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	URI   string `json:"uri"`
}

// InviteeView is an invitee of an event.
type InviteeView struct {
	URI                 string                    `json:"uri"`
	Name                string                    `json:"name"`
	Email               string                    `json:"email"`
	Status              string                    `json:"status"`
	Timezone            string                    `json:"timezone"`
	NoShow              bool                      `json:"no_show"`
	RescheduledFrom     *string                   `json:"rescheduled_from"`
	RescheduledTo       *string                   `json:"rescheduled_to"`
	QuestionsAndAnswers []calendly.QuestionAnswer `json:"questions_and_answers"`
}

// GuestView is a guest an invitee added.
type GuestView struct {
	Email string `json:"email"`
}

// ContactView is a person seen as invitee or guest, keyed by lower-cased email.
type ContactView struct {
	Email          string     `json:"email"`
	Name           string     `json:"name"`
	Timezone       string     `json:"timezone"`
	Bookings       int        `json:"bookings"`
	Cancellations  int        `json:"cancellations"`
	NoShows        int        `json:"no_shows"`
	LastActivityAt *time.Time `json:"last_activity_at"`
}

// ActivityView is one change in a contact's history.
type ActivityView struct {
	Kind       string     `json:"kind"` // booked, canceled, rescheduled, no_show, no_show_removed
	At         *time.Time `json:"at"`   // null when the payload carried no time
	EventURI   string     `json:"event_uri"`
	InviteeURI string     `json:"invitee_uri"`
}

// ContactDetail is a contact with its activity, newest first.
type ContactDetail struct {
	ContactView
	Activity []ActivityView `json:"activity"`
}
