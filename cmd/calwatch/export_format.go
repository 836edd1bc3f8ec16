package main

import (
	"encoding/csv"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// icsWriter writes an iCalendar file one VEVENT at a time, so an export
// never holds more than one event.
type icsWriter struct {
	w   io.Writer
	cfg *ics.SerializationConfiguration
	now time.Time // DTSTAMP
	n   int
}

// newICSWriter writes the calendar's header.
func newICSWriter(w io.Writer, now time.Time) (*icsWriter, error) {
	cal := ics.NewCalendarFor("calwatch")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName("calwatch: Calendly bookings")
	// The header is the empty calendar without its end line.
	head := strings.TrimSuffix(cal.Serialize(ics.WithNewLine("\r\n")), "END:VCALENDAR\r\n")
	if _, err := io.WriteString(w, head); err != nil {
		return nil, err
	}
	return &icsWriter{w: w, now: now.UTC(), cfg: &ics.SerializationConfiguration{MaxLength: 75, PropertyMaxLength: 75, NewLine: "\r\n"}}, nil
}

// write adds one event: UID its URI, times in UTC, STATUS:CANCELLED when
// canceled, the hosts as organizer, the invitees and guests as attendees.
// An event with no start time cannot be a VEVENT and is skipped.
func (x *icsWriter) write(ev storage.EventView) error {
	if ev.StartTime == nil {
		return nil
	}
	e := ics.NewEvent(icsText(ev.URI))
	e.SetDtStampTime(x.now)
	e.SetStartAt(ev.StartTime.UTC())
	if ev.EndTime != nil {
		e.SetEndAt(ev.EndTime.UTC())
	}
	e.SetSummary(icsText(ev.Name))
	status := ics.ObjectStatusConfirmed
	if ev.Status == calendly.StatusCanceled {
		status = ics.ObjectStatusCancelled
	}
	e.SetStatus(status)
	if where, link := eventWhere(ev.Location); where != "" {
		e.SetLocation(icsText(where))
		if link != "" {
			e.SetURL(link)
		}
	}
	var desc []string
	if ev.Cancellation != nil {
		why := "canceled"
		if ev.Cancellation.Reason != nil && *ev.Cancellation.Reason != "" {
			why += ": " + *ev.Cancellation.Reason
		}
		desc = append(desc, why)
	}
	if len(desc) > 0 {
		e.SetDescription(icsText(strings.Join(desc, "\n")))
	}
	if len(ev.Hosts) > 0 && ev.Hosts[0].Email != "" {
		e.SetOrganizer("mailto:"+icsParam(ev.Hosts[0].Email), ics.WithCN(icsParam(ev.Hosts[0].Name)))
	}
	for _, inv := range ev.Invitees {
		if inv.Email == "" {
			continue
		}
		part := ics.ParticipationStatusAccepted
		if inv.Status == calendly.StatusCanceled {
			part = ics.ParticipationStatusDeclined
		}
		e.AddAttendee("mailto:"+icsParam(inv.Email), ics.WithCN(icsParam(inv.Name)), part)
	}
	for _, g := range ev.Guests {
		if g.Email != "" {
			e.AddAttendee("mailto:"+icsParam(g.Email), ics.ParticipationStatusNeedsAction)
		}
	}
	x.n++
	return e.SerializeTo(x.w, x.cfg)
}

// close writes the calendar's end.
func (x *icsWriter) close() error {
	_, err := io.WriteString(x.w, "END:VCALENDAR\r\n")
	return err
}

// icsText is text from Calendly made safe for a TEXT value: valid UTF-8,
// no carriage returns or other control characters (the library escapes
// newlines, commas and semicolons).
func icsText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// icsParam is text for a parameter or an address: one line, no double
// quotes (a quoted parameter cannot hold one).
func icsParam(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(icsText(s), "\n", " "), `"`, "'")
}

// eventWhere is a location's text and, when it has one, its http(s) link.
func eventWhere(l *calendly.Location) (string, string) {
	if l == nil {
		return "", ""
	}
	link := ""
	if u, err := url.Parse(l.JoinURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		link = u.String()
	}
	switch {
	case l.Location != "":
		return l.Location, link
	case link != "":
		return link, link
	}
	return l.Type, link
}

// eventCSVHeader is the first row of an events CSV.
var eventCSVHeader = []string{"uri", "name", "start_utc", "end_utc", "status", "location", "join_url",
	"invitees_active", "invitee_names", "invitee_emails", "guests", "hosts", "cancel_reason"}

// eventCSVRow is one event as a CSV row.
func eventCSVRow(ev storage.EventView) []string {
	var names, emails, guests, hosts []string
	active := 0
	for _, inv := range ev.Invitees {
		names, emails = append(names, inv.Name), append(emails, inv.Email)
		if inv.Status != calendly.StatusCanceled {
			active++
		}
	}
	for _, g := range ev.Guests {
		guests = append(guests, g.Email)
	}
	for _, h := range ev.Hosts {
		hosts = append(hosts, h.Email)
	}
	where, link := eventWhere(ev.Location)
	reason := ""
	if ev.Cancellation != nil && ev.Cancellation.Reason != nil {
		reason = *ev.Cancellation.Reason
	}
	return csvCells(ev.URI, ev.Name, csvTime(ev.StartTime), csvTime(ev.EndTime), ev.Status, where, link,
		strconv.Itoa(active), strings.Join(names, "; "), strings.Join(emails, "; "), strings.Join(guests, "; "),
		strings.Join(hosts, "; "), reason)
}

// contactCSVHeader is the first row of a contacts CSV.
var contactCSVHeader = []string{"email", "name", "timezone", "bookings", "cancellations", "no_shows", "last_activity_utc"}

func contactCSVRow(c storage.ContactView) []string {
	return csvCells(c.Email, c.Name, c.Timezone, strconv.Itoa(c.Bookings), strconv.Itoa(c.Cancellations),
		strconv.Itoa(c.NoShows), csvTime(c.LastActivityAt))
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// csvCells makes text from outside safe for a spreadsheet: valid UTF-8,
// and a cell that starts like a formula (= + - @, tab, CR) gets a leading
// apostrophe, so opening the file runs nothing.
func csvCells(cells ...string) []string {
	for i, c := range cells {
		c = strings.ToValidUTF8(c, "\uFFFD")
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			c = "'" + c
		}
		cells[i] = c
	}
	return cells
}

// newCSV is a CSV writer with header written.
func newCSV(w io.Writer, header []string) (*csv.Writer, error) {
	cw := csv.NewWriter(w)
	return cw, cw.Write(header)
}
