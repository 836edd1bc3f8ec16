// Package story runs booking stories against a developer's webhook
// endpoint: a small YAML format that books, reschedules, cancels and marks
// no-shows with delivery quirks (halves reversed, duplicates, retries,
// delays, drops), driven through the in-process Calendly emulator so every
// delivery is exactly Calendly's, then re-signed with the endpoint's key and
// sent; and the expectations that check what the endpoint answered and
// what its status endpoint reports afterwards.
package story

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"path"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// MaxFileBytes bounds a scenario file: real ones are a page or two.
const MaxFileBytes = 256 << 10

// maxSteps bounds how many steps one scenario may have.
const maxSteps = 500

// Scenario is one story, as parsed from its file.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// StatusURL is the endpoint's status JSON for check steps; --status
	// overrides it, and without either, checks are skipped.
	StatusURL string `yaml:"status_url"`
	Steps     []Step `yaml:"-"`
	File      string `yaml:"-"`
}

// The actions a step can take.
const (
	ActionBook         = "book"
	ActionCancel       = "cancel"
	ActionReschedule   = "reschedule"
	ActionNoShow       = "no_show"
	ActionRemoveNoShow = "remove_no_show"
	ActionCheck        = "check"
)

// The quirks a step's deliveries can be sent with.
const (
	QuirkNone      = ""
	QuirkReversed  = "reversed"  // the step's deliveries in reverse order (a reschedule's halves)
	QuirkDuplicate = "duplicate" // each sent twice, the same bytes and signature
	QuirkRetry     = "retry"     // each sent again signed anew, as after a 5xx or a timeout
	QuirkDelay     = "delay"     // held back and sent after the next step's deliveries
	QuirkDrop      = "drop"      // never sent: the app must catch up through the API
)

var quirks = []string{QuirkReversed, QuirkDuplicate, QuirkRetry, QuirkDelay, QuirkDrop}

// Step is one line of the story. Exactly one of the action keys is set;
// it names the person (book: a new name; the others: one booked before).
type Step struct {
	Book         string  `yaml:"book"`
	Cancel       string  `yaml:"cancel"`
	Reschedule   string  `yaml:"reschedule"`
	NoShow       string  `yaml:"no_show"`
	RemoveNoShow string  `yaml:"remove_no_show"`
	Check        []Check `yaml:"check"`

	// book
	Email       string   `yaml:"email"`
	Name        string   `yaml:"name"` // default: the step's name for the person
	EventName   string   `yaml:"event_name"`
	Guests      []string `yaml:"guests"`
	Join        string   `yaml:"join"` // book into the event this person booked (a group event)
	MaxInvitees int      `yaml:"max_invitees"`
	// Start is when the meeting starts: a Go duration from now ("48h") or
	// RFC 3339. Book and reschedule.
	Start string `yaml:"start"`
	// cancel
	Reason string `yaml:"reason"`
	By     string `yaml:"by"` // invitee (default) or host

	Quirk string `yaml:"quirk"`

	Action string `yaml:"-"`
	Who    string `yaml:"-"`
	Line   int    `yaml:"-"` // where the step starts in its file
	at     time.Duration
	atTime time.Time
}

// Check is one expectation on the status endpoint's JSON.
type Check struct {
	Path   string `yaml:"path"`
	Equals any    `yaml:"equals"`
}

// Describe is the step in a few words, for reports.
func (s Step) Describe() string {
	d := s.Action
	if s.Who != "" {
		d += " " + s.Who
	}
	if s.Quirk != "" {
		d += " (" + s.Quirk + ")"
	}
	return d
}

// file is a scenario file's top level.
type file struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	StatusURL   string      `yaml:"status_url"`
	Steps       []yaml.Node `yaml:"steps"`
}

// Parse reads a scenario file. It refuses what it cannot run, saying where
// and why: unknown keys, a step with no or two actions, a name used before
// it was booked, an unknown quirk, a bad time or email.
func Parse(name string, data []byte) (*Scenario, error) {
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("%s: %d bytes is larger than a scenario may be (%d)", name, len(data), MaxFileBytes)
	}
	var f file
	if err := yaml.Load(data, &f, yaml.WithKnownFields()); err != nil {
		return nil, fmt.Errorf("%s: %s", name, oneLine(err.Error()))
	}
	if len(f.Steps) == 0 {
		return nil, fmt.Errorf("%s: no steps: a scenario needs a steps: list", name)
	}
	if len(f.Steps) > maxSteps {
		return nil, fmt.Errorf("%s: %d steps, at most %d", name, len(f.Steps), maxSteps)
	}
	sc := &Scenario{Name: f.Name, Description: f.Description, StatusURL: f.StatusURL, File: name}
	if sc.Name == "" {
		sc.Name = strings.TrimSuffix(path.Base(name), path.Ext(name))
	}
	booked := map[string]bool{}
	for i := range f.Steps {
		node := &f.Steps[i]
		var st Step
		if err := node.Load(&st, yaml.WithKnownFields()); err != nil {
			return nil, fmt.Errorf("%s: step %d (line %d): %s", name, i+1, node.Line, oneLine(err.Error()))
		}
		st.Line = node.Line
		if err := st.validate(booked); err != nil {
			return nil, fmt.Errorf("%s: step %d (line %d): %v", name, i+1, node.Line, err)
		}
		sc.Steps = append(sc.Steps, st)
	}
	return sc, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (st *Step) validate(booked map[string]bool) error {
	set := 0
	for action, who := range map[string]string{ActionBook: st.Book, ActionCancel: st.Cancel, ActionReschedule: st.Reschedule, ActionNoShow: st.NoShow, ActionRemoveNoShow: st.RemoveNoShow} {
		if who != "" {
			set++
			st.Action, st.Who = action, who
		}
	}
	if st.Check != nil {
		set++
		st.Action = ActionCheck
	}
	if set != 1 {
		return errors.New("a step takes exactly one of book, cancel, reschedule, no_show, remove_no_show, check")
	}
	if st.Quirk != "" && !slices.Contains(quirks, st.Quirk) {
		return fmt.Errorf("unknown quirk %q: use one of %s", st.Quirk, strings.Join(quirks, ", "))
	}
	if st.Quirk != "" && st.Action == ActionCheck {
		return errors.New("a check sends nothing, so it takes no quirk")
	}
	onlyFor := func(key string, set bool, actions ...string) error {
		if set && !slices.Contains(actions, st.Action) {
			return fmt.Errorf("%s is for %s steps, not %s", key, strings.Join(actions, " and "), st.Action)
		}
		return nil
	}
	for _, err := range []error{
		onlyFor("email", st.Email != "", ActionBook), onlyFor("name", st.Name != "", ActionBook),
		onlyFor("event_name", st.EventName != "", ActionBook), onlyFor("guests", st.Guests != nil, ActionBook),
		onlyFor("join", st.Join != "", ActionBook), onlyFor("max_invitees", st.MaxInvitees != 0, ActionBook),
		onlyFor("start", st.Start != "", ActionBook, ActionReschedule),
		onlyFor("reason", st.Reason != "", ActionCancel), onlyFor("by", st.By != "", ActionCancel),
	} {
		if err != nil {
			return err
		}
	}
	switch st.Action {
	case ActionBook:
		if booked[st.Who] {
			return fmt.Errorf("%q is booked already: give each booking its own name", st.Who)
		}
		if st.Email == "" {
			return fmt.Errorf("book %s needs an email", st.Who)
		}
		if _, err := mail.ParseAddress(st.Email); err != nil {
			return fmt.Errorf("email %q is not an email address", st.Email)
		}
		for _, g := range st.Guests {
			if _, err := mail.ParseAddress(g); err != nil {
				return fmt.Errorf("guest %q is not an email address", g)
			}
		}
		if st.Join != "" && !booked[st.Join] {
			return fmt.Errorf("join %q: no one of that name is booked before this step", st.Join)
		}
		if st.MaxInvitees < 0 || st.MaxInvitees > 1000 {
			return fmt.Errorf("max_invitees %d is not between 1 and 1000", st.MaxInvitees)
		}
		booked[st.Who] = true
	case ActionCheck:
		if len(st.Check) == 0 {
			return errors.New("check lists no expectations")
		}
		for _, c := range st.Check {
			if _, err := ParsePath(c.Path); err != nil {
				return err
			}
		}
	default:
		if !booked[st.Who] {
			return fmt.Errorf("%s %q: no one of that name is booked before this step", st.Action, st.Who)
		}
	}
	if st.By != "" && st.By != "invitee" && st.By != "host" {
		return fmt.Errorf("by %q: a cancel is by invitee or host", st.By)
	}
	if st.Start != "" {
		if d, err := time.ParseDuration(st.Start); err == nil {
			if d < -365*24*time.Hour || d > 5*365*24*time.Hour {
				return fmt.Errorf("start %q is too far from now", st.Start)
			}
			st.at = d
		} else if t, err := time.Parse(time.RFC3339, st.Start); err == nil {
			st.atTime = t
		} else {
			return fmt.Errorf("start %q is neither a duration from now (48h) nor RFC 3339 (2026-07-01T09:00:00Z)", st.Start)
		}
	}
	return nil
}

// startAt is when the step's meeting starts, or zero for the emulator's
// default.
func (st Step) startAt(now time.Time) time.Time {
	switch {
	case !st.atTime.IsZero():
		return st.atTime.UTC()
	case st.at != 0:
		return now.Add(st.at).UTC().Truncate(time.Minute)
	}
	return time.Time{}
}

//go:embed scenarios/*.yaml
var shipped embed.FS

// Shipped is every scenario that ships with calwatch, by name.
func Shipped() ([]*Scenario, error) {
	entries, err := fs.ReadDir(shipped, "scenarios")
	if err != nil {
		return nil, err
	}
	var out []*Scenario
	for _, e := range entries {
		data, err := shipped.ReadFile("scenarios/" + e.Name())
		if err != nil {
			return nil, err
		}
		sc, err := Parse(e.Name(), data)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// ShippedFile is the text of the shipped scenario called name.
func ShippedFile(name string) ([]byte, bool) {
	data, err := shipped.ReadFile("scenarios/" + name + ".yaml")
	return data, err == nil
}

// Starter is a commented scenario to start from, named name.
func Starter(name string) []byte {
	return bytes.ReplaceAll(starter, []byte("NAME"), []byte(name))
}

var starter = []byte(`# A calwatch scenario: a booking story sent to your webhook endpoint.
# Run it:  calwatch scenario run NAME.yaml --to http://127.0.0.1:3000/webhooks/calendly --signing-key KEY
name: NAME
description: A booking is made, moved, and canceled.

# Optional: a URL answering GET with JSON about what your app stored. The
# check steps below look into it. --status URL overrides this; without
# either, checks are skipped.
# status_url: http://127.0.0.1:3000/debug/bookings

steps:
  # book NAME: a new booking; the name is how later steps refer to it.
  # start: a duration from now (48h) or RFC 3339. guests: emails.
  # max_invitees: above 1 makes a group event; join: NAME books into theirs.
  - book: ada
    email: ada@example.com
    name: Ada Lovelace
    start: 48h
    guests: [charles@example.com]

  # reschedule NAME: Calendly cancels the old invitee (rescheduled: true) and
  # creates a new one. quirk: reversed sends the two halves the other way round.
  - reschedule: ada
    start: 72h
    quirk: reversed

  # Every step's deliveries must be answered 2xx. Other quirks:
  #   duplicate (the same delivery twice), retry (again, signed anew, as after
  #   a 5xx), delay (sent after the next step's), drop (never sent).
  - cancel: ada
    reason: Something came up
    by: invitee          # or host

  # no_show NAME / remove_no_show NAME mark and unmark a no-show.

  # check: paths into the status JSON and the values expected there.
  # Path syntax: key.key, [0] an index, [key=value] the first element whose
  # key is value, # the length. ${ada.event}, ${ada.invitee}, ${ada.email},
  # ${ada.old_event}, ${ada.old_invitee} are the URIs the emulator made.
  # - check:
  #     - path: bookings[uri=${ada.event}].status
  #       equals: canceled
`)
