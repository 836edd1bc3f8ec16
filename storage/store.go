// Package storage is calwatch's SQLite room: embedded migrations, the
// booking lifecycle (one verified delivery applied in one transaction with
// its delivery-log row, group-committed), the read models the CLI and panes
// show, the delivery log, and the integration's secrets at rest.
package storage

import (
	"context"
	"errors"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is calwatch's database. It is safe for concurrent use.
type Store struct {
	// TODO(storage helper): implement.
}

// Open opens (creating and migrating if needed) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	return nil, errors.New("storage: not implemented yet")
}

// Close waits for pending writes and closes the database.
func (s *Store) Close() error { return nil }

// Outcome is what became of a delivery.
type Outcome string

// The outcomes of a delivery.
const (
	OutcomeApplied   Outcome = "applied"
	OutcomeDuplicate Outcome = "duplicate"
	OutcomeRefused   Outcome = "refused"
)

// IncomingDelivery is a delivery whose signature verified and whose body
// parsed, ready to be recorded and applied.
type IncomingDelivery struct {
	ReceivedAt      time.Time
	SignatureHeader string
	ReplayKey       string // calendly.ParsedSignature.ReplayKey(): same key, same delivery
	Body            []byte // the raw bytes, exactly as received
	Parsed          *calendly.Delivery
}

// RefusedDelivery is a request that was not accepted (bad signature, bad
// body, too large). It is logged so a developer can see what was sent.
type RefusedDelivery struct {
	ReceivedAt      time.Time
	SignatureHeader string
	Body            []byte // may be truncated
	Reason          string // why it was refused; never secret
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
	SignatureHeader string    `json:"-"`
	Body            []byte    `json:"-"`
}

// RecordDelivery stores d and applies its effect in one transaction, and
// returns only once that transaction is durably committed. A delivery with
// a ReplayKey seen before is recorded as a duplicate and changes nothing.
func (s *Store) RecordDelivery(ctx context.Context, d IncomingDelivery) (DeliveryRecord, error) {
	return DeliveryRecord{}, errors.New("storage: not implemented yet")
}

// RecordRefused logs a refused request. It changes no booking.
func (s *Store) RecordRefused(ctx context.Context, r RefusedDelivery) (DeliveryRecord, error) {
	return DeliveryRecord{}, errors.New("storage: not implemented yet")
}

// ListDeliveries returns the delivery log, newest first, at most limit rows
// (limit ≤ 0: all), with SignatureHeader and Body filled.
func (s *Store) ListDeliveries(ctx context.Context, limit int) ([]DeliveryRecord, error) {
	return nil, errors.New("storage: not implemented yet")
}

// EventFilter narrows ListEvents. Zero fields do not filter.
type EventFilter struct {
	From, To time.Time // events starting in [From, To)
	Status   string    // "active" or "canceled"
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

// ListEvents returns stored events, earliest start first.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]EventView, error) {
	return nil, errors.New("storage: not implemented yet")
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
	Kind       string    `json:"kind"` // booked, canceled, rescheduled, no_show, no_show_removed
	At         time.Time `json:"at"`
	EventURI   string    `json:"event_uri"`
	InviteeURI string    `json:"invitee_uri"`
}

// ContactDetail is a contact with its activity, newest first.
type ContactDetail struct {
	ContactView
	Activity []ActivityView `json:"activity"`
}

// ListContacts returns every contact, most recently active first.
func (s *Store) ListContacts(ctx context.Context) ([]ContactView, error) {
	return nil, errors.New("storage: not implemented yet")
}

// Contact returns one contact by email (any case), or ErrNotFound.
func (s *Store) Contact(ctx context.Context, email string) (ContactDetail, error) {
	return ContactDetail{}, errors.New("storage: not implemented yet")
}
