package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/storage"
)

// The fields of storage.DeliveryRecord's JSON (as `listen --json` prints
// them) plus what was sent.
var deliveryKeys = []string{"id", "received_at", "event", "outcome", "reason", "invitee", "invitee_email", "event_uri", "signature", "body", "forward"}

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
		wantKeys(t, "delivery", d, deliveryKeys...)
		if i > 0 && d["id"].(float64) >= log[i-1]["id"].(float64) {
			t.Errorf("not newest first: id %v after %v", d["id"], log[i-1]["id"])
		}
	}
	refused := log[0]
	if refused["outcome"] != "refused" || refused["reason"] != refusedReason || refused["body"] != `{"event":"forged"}` || refused["signature"] != "t=1,v1=00" {
		t.Errorf("newest entry = %v, want the refused request with what was sent and why it was refused", refused)
	}
	// The rest, newest first, are the accepted bodies in reverse.
	for i, d := range log[1:] {
		sent := len(bk.sent) - 1 - i
		if d["body"] != string(bk.sent[sent]) || d["signature"] != bk.headers[sent] || d["outcome"] != "applied" {
			t.Errorf("entry %d = %v %v, want the body and signature exactly as sent", i+1, d["outcome"], d["signature"])
		}
	}
	if noShow := log[1]; noShow["event"] != "invitee_no_show.created" || noShow["invitee"] != bk.inviteeC || noShow["event_uri"] != bk.evC {
		t.Errorf("no-show entry = %v", noShow)
	}
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
