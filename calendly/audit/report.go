package audit

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// TimingNote is said with every grade: what the audit cannot see.
const TimingNote = "timing attacks are out of scope: a non-constant-time signature comparison cannot be detected over a network"

// Report is an audit's outcome.
type Report struct {
	URL     string   `json:"url"` // without any password it held
	Results []Result `json:"probes"`
	// Never holds the must-never checks over every accept probe's answers.
	Never    []Result  `json:"never"`
	Outliers []Outlier `json:"timing_outliers"`
	MedianMs float64   `json:"median_latency_ms"`
	Pass     bool      `json:"pass"`
	Grade    string    `json:"grade"` // one line
	Note     string    `json:"note"`
}

// Outlier is an answer much slower than the endpoint's median.
type Outlier struct {
	Probe  string  `json:"probe"`
	Millis float64 `json:"latency_ms"`
}

// Failed is every failing probe and check, in order.
func (r *Report) Failed() []Result {
	var failed []Result
	for _, res := range append(slices.Clone(r.Results), r.Never...) {
		if !res.Pass {
			failed = append(failed, res)
		}
	}
	return failed
}

func (r *Report) grade() {
	r.Never = []Result{r.never("no 410 to a good delivery", "Calendly deletes the subscription at once", func(a Answer) bool { return a.Status == 410 }),
		r.never("no redirect of a delivery", "Calendly does not follow redirects and counts them as failures", func(a Answer) bool { return a.Status >= 300 && a.Status < 400 })}
	var latencies []time.Duration
	for _, res := range r.Results {
		for _, a := range res.Answers {
			if a.Status != 0 {
				latencies = append(latencies, a.Latency)
			}
		}
	}
	var median time.Duration
	if len(latencies) > 0 {
		slices.Sort(latencies)
		median = latencies[len(latencies)/2]
	}
	r.MedianMs = millis(median)
	limit := max(4*median, median+250*time.Millisecond)
	r.Outliers = []Outlier{}
	for _, res := range r.Results {
		for _, a := range res.Answers {
			if a.Status != 0 && a.Latency > limit {
				r.Outliers = append(r.Outliers, Outlier{Probe: res.Name, Millis: a.Millis})
			}
		}
	}
	failed := r.Failed()
	total := len(r.Results) + len(r.Never)
	r.Pass, r.Note = len(failed) == 0, TimingNote
	if r.Pass {
		r.Grade = fmt.Sprintf("PASS: all %d musts hold (%d probes, median answer %s)", total, len(r.Results), median.Round(time.Microsecond*100))
		return
	}
	if len(latencies) == 0 {
		first := ""
		if len(r.Results) > 0 && len(r.Results[0].Answers) > 0 {
			first = " (" + r.Results[0].Answers[0].Error + ")"
		}
		r.Grade = fmt.Sprintf("FAIL: no probe was answered%s: is the endpoint running at %s?", first, r.URL)
		return
	}
	var names, whys []string
	for _, f := range failed {
		names = append(names, f.Name)
		if f.Why != "" && !slices.Contains(whys, f.Why) {
			whys = append(whys, f.Why)
		}
	}
	r.Grade = fmt.Sprintf("FAIL: %d of %d musts fail (%s): %s", len(failed), total, atMost(names, 5, ", "), atMost(whys, 3, "; "))
}

// atMost joins the first n of list and says how many more there are.
func atMost(list []string, n int, sep string) string {
	if len(list) <= n {
		return strings.Join(list, sep)
	}
	return strings.Join(list[:n], sep) + fmt.Sprintf("%s and %d more", sep, len(list)-n)
}

// never checks that no accept probe (a good delivery) was answered with a
// status bad says Calendly cannot live with.
func (r *Report) never(name, why string, bad func(Answer) bool) Result {
	res := Result{Name: name, Must: MustNever, Sent: "every correctly signed delivery above", Expected: "no such answer", Pass: true, Verdict: "none seen", Answers: []Answer{}}
	for _, p := range r.Results {
		if p.Must != MustAccept {
			continue
		}
		for _, a := range p.Answers {
			if bad(a) {
				res.Pass, res.Why = false, why
				res.Verdict = fmt.Sprintf("%q was answered %d", p.Name, a.Status)
				if a.Location != "" {
					res.Verdict += " to " + a.Location
				}
				return res
			}
		}
	}
	return res
}

// WriteText prints the report for a person: one line per probe, then the
// outliers, the grade and the timing note. clean makes text from the
// endpoint (a redirect's Location, an error) safe for a terminal.
func (r *Report) WriteText(w io.Writer, clean func(string) string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "audit of %s\n", clean(r.URL))
	for _, res := range append(slices.Clone(r.Results), r.Never...) {
		mark := "ok  "
		if !res.Pass {
			mark = "FAIL"
		}
		lat := ""
		for i, a := range res.Answers {
			if i > 0 {
				lat += "+"
			}
			lat += fmt.Sprintf("%.1fms", a.Millis)
		}
		fmt.Fprintf(&b, "%s %-7s %-34s %-40s %s\n", mark, "must "+string(res.Must), res.Name, clean(res.Verdict), lat)
		if !res.Pass {
			fmt.Fprintf(&b, "       sent: %s; expected %s\n       why: %s\n", res.Sent, res.Expected, res.Why)
		}
	}
	if len(r.Outliers) > 0 {
		fmt.Fprintf(&b, "timing outliers (median %.1fms):", r.MedianMs)
		for _, o := range r.Outliers {
			fmt.Fprintf(&b, " %s %.1fms;", o.Probe, o.Millis)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s\nnote: %s\n", r.Grade, r.Note)
	_, err := io.WriteString(w, b.String())
	return err
}
