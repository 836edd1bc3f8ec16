package main

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// dateOnlyLayout is the day form of a DATE flag, read as local midnight.
const dateOnlyLayout = "2006-01-02"

// acceptedDateForms is said in every refusal so the user knows what to type.
const acceptedDateForms = "use YYYY-MM-DD (local midnight) or RFC 3339 like 2026-06-10T09:30:00+02:00"

// maxDateFlagLen bounds what parseDate looks at; no accepted form is longer.
const maxDateFlagLen = 64

// parseDate reads a DATE flag: YYYY-MM-DD is midnight in loc, anything else
// must be RFC 3339 (with a zone). dayOnly reports the first form, so an end
// bound can include the whole day.
func parseDate(s string, loc *time.Location) (t time.Time, dayOnly bool, err error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return time.Time{}, false, errors.New("empty date: " + acceptedDateForms)
	case len(s) > maxDateFlagLen:
		return time.Time{}, false, fmt.Errorf("date is longer than %d characters: %s", maxDateFlagLen, acceptedDateForms)
	case len(s) == len(dateOnlyLayout):
		t, err := time.ParseInLocation(dateOnlyLayout, s, loc)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("%q is not a calendar date: %s", s, acceptedDateForms)
		}
		return t, true, nil
	}
	t, err = time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("%q is not a date: %s", s, acceptedDateForms)
	}
	return t, false, nil
}

// dateFlag is a pflag.Value for --from/--to, so a bad value is a flag error
// (exit 2) before the command runs.
type dateFlag struct {
	raw     string
	t       time.Time
	dayOnly bool
}

func (d *dateFlag) String() string { return d.raw }
func (d *dateFlag) Type() string   { return "DATE" }

func (d *dateFlag) Set(s string) error {
	t, dayOnly, err := parseDate(s, time.Local)
	if err != nil {
		return err
	}
	d.raw, d.t, d.dayOnly = s, t, dayOnly
	return nil
}

// start is the flag as the first instant of a range, zero when unset.
func (d *dateFlag) start() time.Time { return d.t }

// end is the flag as the exclusive end of a range: a day counts whole (the
// next local midnight), an instant counts as given. Zero when unset.
func (d *dateFlag) end() time.Time {
	if d.dayOnly {
		return d.t.AddDate(0, 0, 1)
	}
	return d.t
}

// choiceFlag is a pflag.Value that accepts one of a fixed set of words.
type choiceFlag struct {
	value   string
	choices []string
}

func (c *choiceFlag) String() string { return c.value }
func (c *choiceFlag) Type() string   { return strings.Join(c.choices, "|") }

func (c *choiceFlag) Set(s string) error {
	for _, choice := range c.choices {
		if s == choice {
			c.value = s
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(c.choices, ", "))
}
