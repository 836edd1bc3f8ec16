package tui

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// gotoUsage is what :goto accepts, for its errors.
const gotoUsage = "use YYYY-MM-DD, today, +3d or a month name"

var (
	relativeDay = regexp.MustCompile(`^([+-])([0-9]{1,4})([dwm]?)$`)
	yearMonth   = regexp.MustCompile(`^([0-9]{4})-([0-9]{2})$`)
)

// parseGoto reads where :goto goes, as midnight in today's zone:
// 2026-07-01, 2026-07 (its 1st), today, tomorrow, yesterday, +3d, -2w, +1m
// (from today), or a month name, jul or july, optionally with a year (the
// 1st of that month in the year the calendar shows, shown).
func parseGoto(arg string, today, shown time.Time) (time.Time, error) {
	s := strings.ToLower(strings.TrimSpace(arg))
	loc := today.Location()
	switch s {
	case "":
		return time.Time{}, errors.New("goto: where to? " + gotoUsage)
	case "today", "t", "now":
		return today, nil
	case "tomorrow":
		return today.AddDate(0, 0, 1), nil
	case "yesterday":
		return today.AddDate(0, 0, -1), nil
	}
	bad := fmt.Errorf("goto: %q is not a date — %s", arg, gotoUsage)
	if m := relativeDay.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "-" {
			n = -n
		}
		switch m[3] {
		case "w":
			return today.AddDate(0, 0, 7*n), nil
		case "m":
			return today.AddDate(0, n, 0), nil
		}
		return today.AddDate(0, 0, n), nil
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return d, nil
	}
	if m := yearMonth.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return time.Time{}, bad
		}
		return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, loc), nil
	}
	name, year, hasYear := strings.Cut(s, " ")
	mo, ok := monthNamed(name)
	if !ok {
		return time.Time{}, bad
	}
	y := shown.Year()
	if hasYear {
		n, err := strconv.Atoi(strings.TrimSpace(year))
		if err != nil || n < 1 || n > 9999 {
			return time.Time{}, bad
		}
		y = n
	}
	return time.Date(y, mo, 1, 0, 0, 0, 0, loc), nil
}

// monthNamed reads "jul", "july" (three letters or more of the English
// name).
func monthNamed(s string) (time.Month, bool) {
	if len(s) < 3 {
		return 0, false
	}
	for mo := time.January; mo <= time.December; mo++ {
		if strings.HasPrefix(strings.ToLower(mo.String()), s) {
			return mo, true
		}
	}
	return 0, false
}
