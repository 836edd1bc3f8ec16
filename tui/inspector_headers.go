package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// headersShown is how many headers besides the signature header the
// inspector lists until H shows all of them.
const headersShown = 7

// headerCount is how many headers the request came with, as far as the
// log knows: those kept, those left out, and the signature header.
func headerCount(r storage.DeliveryRecord) int {
	n := len(r.Headers) + r.HeadersCut
	if r.SignatureHeader != "" {
		n++
	}
	return n
}

// headersTitle is the headers box's title: "Headers (12)".
func headersTitle(r storage.DeliveryRecord) string {
	return fmt.Sprintf("Headers (%d)", headerCount(r))
}

// headerLines lists the request's headers for a column w cells wide: the
// signature header pinned first, its t and v1 on their own line with v1
// cut in the middle, then the rest sorted by name (storage keeps them so),
// the first headersShown of them unless all is set. Every value is
// sanitised: anyone can send any header.
func headerLines(st Styles, r storage.DeliveryRecord, all bool, w int) []string {
	lines := []string{" " + fit(st.Bold.Render(calendly.SignatureHeader), max(1, w-8)) + st.Faint.Render(" pinned")}
	if r.SignatureHeader == "" {
		lines = append(lines, st.Faint.Render("   (none sent)"))
	} else {
		lines = append(lines, signatureLines(outside(r.SignatureHeader), w)...)
	}
	if r.Headers == nil && r.HeadersCut == 0 {
		return append(lines, "", st.Faint.Render(fit(" Other headers were not kept for this delivery", w)),
			st.Faint.Render(fit(" (stored before calwatch kept them).", w)))
	}
	shown := r.Headers
	if !all && len(shown) > headersShown {
		shown = shown[:headersShown]
	}
	nameW := 0
	for _, h := range shown {
		nameW = max(nameW, ansi.StringWidth(outside(h.Name)))
	}
	nameW = min(nameW, max(8, w/2-1))
	for _, h := range shown {
		name := fit(outside(h.Name), nameW)
		lines = append(lines, " "+name+" "+fit(outside(h.Value), max(1, w-nameW-2)))
	}
	if hidden := len(r.Headers) - len(shown); hidden > 0 {
		lines = append(lines, st.Faint.Render(" "+fit("…", nameW)+" "+fmt.Sprintf("%d more (H shows all)", hidden)))
	} else if all && len(r.Headers) > headersShown {
		lines = append(lines, st.Faint.Render(" "+fit("", nameW)+" H shows fewer"))
	}
	if r.HeadersCut > 0 {
		lines = append(lines, st.Faint.Render(fmt.Sprintf(" + %d more received, not kept (over the %s kept per delivery)",
			r.HeadersCut, storedHeadersCap(r))))
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = fit(l, w)
	}
	return out
}

// storedHeadersCap is the cap the row's headers were kept within.
func storedHeadersCap(r storage.DeliveryRecord) string {
	if r.Outcome == storage.OutcomeRefused {
		return fmt.Sprintf("%d B", storage.MaxStoredRefusedHeaders)
	}
	return fmt.Sprintf("%d KiB", storage.MaxStoredHeaders>>10)
}

// signatureLines shows "t=1781782817  v1=5f0c8e…d19a1e": each part of the
// header, hashes cut in the middle, on one line when they fit.
func signatureLines(header string, w int) []string {
	var parts []string
	for _, part := range strings.Split(header, ",") {
		part = strings.TrimSpace(part)
		if k, v, ok := strings.Cut(part, "="); ok && len([]rune(v)) > 13 {
			r := []rune(v)
			part = k + "=" + string(r[:6]) + "…" + string(r[len(r)-6:])
		}
		parts = append(parts, part)
	}
	if one := "   " + strings.Join(parts, "  "); ansi.StringWidth(one) <= w {
		return []string{one}
	}
	lines := make([]string, len(parts))
	for i, p := range parts {
		lines[i] = "   " + middle(p, max(8, w-4))
	}
	return lines
}
