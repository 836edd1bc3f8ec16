package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/storage"
)

// The fields of storage.DeliveryRecord's JSON (as `listen --json` prints
// them) plus what was sent.
var deliveryKeys = []string{"id", "received_at", "event", "outcome", "reason", "invitee", "invitee_email", "event_uri", "body",
	"body_truncated", "body_size", "body_sha256", "forward"}

func TestDeliveriesListJSON(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "deliveries", "list", "--json").wantExit(t, exitOK)
	if strings.Contains(r.stdout, storeKey) {
		t.Fatal("the signing key is in the delivery log output")
	}
	log := decodeJSON[[]map[string]any](t, r)
	if len(log) != len(bk.sent)+1 {
		t.Fatalf("%d deliveries listed, want %d (refused included)", len(log), len(bk.sent)+1)
	}
	for i, d := range log {
		keys := slices.Clone(deliveryKeys)
		if d["outcome"] != "refused" { // body_sha256 only where it was computed
			keys = slices.DeleteFunc(keys, func(k string) bool { return k == "body_sha256" })
		}
		wantKeys(t, "delivery", d, keys...)
		if d["body_truncated"] != false || d["body_size"] != float64(len(d["body"].(string))) {
			t.Errorf("entry %v: body_truncated %v, body_size %v; want a whole body of its size", d["id"], d["body_truncated"], d["body_size"])
		}
		if i > 0 && d["id"].(float64) >= log[i-1]["id"].(float64) {
			t.Errorf("not newest first: id %v after %v", d["id"], log[i-1]["id"])
		}
	}
	refused := log[0]
	if refused["outcome"] != "refused" || refused["reason"] != refusedReason || refused["body"] != `{"event":"forged"}` {
		t.Errorf("newest entry = %v, want the refused request with what was sent and why it was refused", refused)
	}
	// The rest, newest first, are the accepted bodies in reverse.
	for i, d := range log[1:] {
		sent := len(bk.sent) - 1 - i
		if d["body"] != string(bk.sent[sent]) || d["outcome"] != "applied" {
			t.Errorf("entry %d = %v, want the body exactly as sent", i+1, d["outcome"])
		}
	}
	if noShow := log[1]; noShow["event"] != "invitee_no_show.created" || noShow["invitee"] != bk.inviteeC || noShow["event_uri"] != bk.evC {
		t.Errorf("no-show entry = %v", noShow)
	}
}

// TestDeliveriesListShowsSignaturesOnlyWhenAsked: a signature header made
// with a weak key lets anyone who sees it guess the key offline, so --json
// leaves it out unless --show-signatures asks for it.
func TestDeliveriesListShowsSignaturesOnlyWhenAsked(t *testing.T) {
	bk := newBookings(t)
	if strings.Contains(bk.cli(t, "deliveries", "list", "--json").wantExit(t, exitOK).stdout, "v1=") {
		t.Error("deliveries list --json printed signature headers without --show-signatures")
	}
	log := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json", "--show-signatures").wantExit(t, exitOK))
	if len(log) != len(bk.sent)+1 || log[0]["signature_header"] != "t=1,v1=00" {
		t.Fatalf("--show-signatures: %d entries, newest %v; want the refused one's header", len(log), log[0])
	}
	for i, d := range log[1:] { // applied ones: no body_sha256
		keys := slices.DeleteFunc(slices.Clone(deliveryKeys), func(k string) bool { return k == "body_sha256" })
		wantKeys(t, "delivery", d, append(keys, "signature_header")...)
		if sent := len(bk.sent) - 1 - i; d["signature_header"] != bk.headers[sent] {
			t.Errorf("entry %d signature_header %v, want %s", i+1, d["signature_header"], bk.headers[sent])
		}
	}
	bk.cli(t, "deliveries", "list", "--show-signatures").wantExit(t, exitUsage).wantOneLineError(t, "--show-signatures", "--json")
}

func TestDeliveriesListLimit(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "deliveries", "list", "--json", "--limit", "2").wantExit(t, exitOK)
	if log := decodeJSON[[]map[string]any](t, r); len(log) != 2 || log[0]["outcome"] != "refused" {
		t.Fatalf("--limit 2 = %v, want the 2 newest", log)
	}
	if !strings.Contains(r.stderr, "--limit 0") {
		t.Errorf("no hint that more deliveries exist: stderr %q", r.stderr)
	}
	r = bk.cli(t, "deliveries", "list", "--json", "--limit", "6").wantExit(t, exitOK)
	if log := decodeJSON[[]map[string]any](t, r); len(log) != 6 || r.stderr != "" {
		t.Errorf("--limit 6 of 6: %d entries, stderr %q; want all, no hint", len(log), r.stderr)
	}
	bk.cli(t, "deliveries", "list", "--limit", "-1").wantExit(t, exitUsage).wantOneLineError(t, "--limit")
	bk.cli(t, "deliveries", "list", "--limit", "ten").wantExit(t, exitUsage).wantOneLineError(t, "--limit")
}

func TestDeliveriesListTable(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "deliveries", "list").wantExit(t, exitOK)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 7 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("want a header and 6 rows:\n%s", r.stdout)
	}
	if !strings.Contains(lines[1], "refused") || !strings.Contains(lines[1], refusedReason) {
		t.Errorf("newest row %q, want the refused request and its reason", lines[1])
	}
	if !strings.Contains(lines[2], "invitee_no_show.created") || !strings.Contains(lines[2], zoe.Email) {
		t.Errorf("second row %q, want the no-show delivery and who it was about", lines[2])
	}
}

func TestDeliveriesListJSONKeepsBinaryBodiesExact(t *testing.T) {
	db := filepath.Join(t.TempDir(), "calwatch.db")
	store, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	binary := []byte{0xff, 0xfe, 'h', 'i', 0x00}
	if _, err := store.RecordRefused(context.Background(), storage.RefusedDelivery{Body: binary, Reason: "body is not JSON"}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	log := decodeJSON[[]map[string]any](t, runCLI(t, nil, "--db", db, "deliveries", "list", "--json").wantExit(t, exitOK))
	if len(log) != 1 {
		t.Fatalf("want 1 delivery, got %v", log)
	}
	got, err := base64.StdEncoding.DecodeString(log[0]["body_base64"].(string))
	if err != nil || !bytes.Equal(got, binary) {
		t.Fatalf("body_base64 = %v (%v), want the exact bytes received", log[0]["body_base64"], err)
	}
}

// TestDeliveriesListJSONMarksWhatWasCut: a refused body over 2 KiB shows
// its prefix, marked truncated, with the whole body's size and SHA-256; a
// duplicate shows no body and the delivery that has it.
func TestDeliveriesListJSONMarksWhatWasCut(t *testing.T) {
	bk := newBookings(t)
	store, err := storage.Open(context.Background(), bk.db)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("A"), 10_000)
	if _, err := store.RecordRefused(context.Background(), storage.RefusedDelivery{Body: big, Reason: "too large"}); err != nil {
		t.Fatal(err)
	}
	dup := bk.resend(t, store, 0)
	store.Close()
	log := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json", "--limit", "2").wantExit(t, exitOK))
	if len(log) != 2 {
		t.Fatalf("want 2 entries, got %d", len(log))
	}
	sum := sha256.Sum256(big)
	refused := log[1]
	if refused["body"] != string(big[:storage.RefusedBodyPrefix]) || refused["body_truncated"] != true ||
		refused["body_size"] != float64(len(big)) || refused["body_sha256"] != hex.EncodeToString(sum[:]) {
		t.Errorf("refused entry: body %d chars, truncated %v, size %v, sha256 %v; want the 2 KiB prefix, truncated, size %d and the whole body's digest",
			len(refused["body"].(string)), refused["body_truncated"], refused["body_size"], refused["body_sha256"], len(big))
	}
	if d := log[0]; d["outcome"] != "duplicate" || d["body"] != "" || d["body_truncated"] != true || d["duplicate_of"] != float64(dup.DuplicateOf) || dup.DuplicateOf == 0 {
		t.Errorf("duplicate entry = %v %q truncated %v duplicate_of %v; want no body, truncated, pointing at #%d", d["outcome"], d["body"], d["body_truncated"], d["duplicate_of"], dup.DuplicateOf)
	}
}

// TestJSONArrayWriterMatchesWriteJSON: the streamed array is byte for byte
// what writeJSON prints for the whole slice, empty included.
func TestJSONArrayWriterMatchesWriteJSON(t *testing.T) {
	for _, items := range [][]map[string]any{{}, {{"a": 1}}, {{"a": "<&>"}, {"b": []int{1, 2}}, {"c": nil}}} {
		var want, got bytes.Buffer
		if err := writeJSON(&want, items); err != nil {
			t.Fatal(err)
		}
		w := newJSONArrayWriter(&got)
		for _, it := range items {
			if err := w.add(it); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.close(); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("streamed\n%s\nwant\n%s", got.String(), want.String())
		}
	}
}
