package main

import (
	"io"
	"strings"
	"testing"
)

func env(key string) func(string) string {
	return func(string) string { return key }
}

func TestParseArgs(t *testing.T) {
	o, err := parseArgs([]string{"-url", "http://127.0.0.1:1/h", "-conns", "64", "-n", "5"}, env("k"), io.Discard)
	if err != nil || o.cfg.Connections != 64 || o.cfg.Total != 5 || string(o.cfg.SigningKey) != "k" {
		t.Fatalf("got %+v, %v", o, err)
	}
	for _, args := range [][]string{
		{}, {"-url", "ftp://h"}, {"-url", "http://h", "-conns", "0"}, {"-url", "http://h", "-n", "0"},
		{"-url", "http://h", "extra"}, {"-url", "http://h", "-size", "-1"}, {"-url", "http://h", "-shape", "uniform"},
	} {
		if _, err := parseArgs(args, env("k"), io.Discard); err == nil {
			t.Errorf("parseArgs(%q) accepted", args)
		}
	}
	if o.cfg.Shape != "realistic" {
		t.Errorf("default shape %q, want realistic", o.cfg.Shape)
	}
	if o, err := parseArgs([]string{"-url", "http://h", "-shape", "padded", "-run", "r1"}, env("k"), io.Discard); err != nil || o.cfg.Shape != "padded" || o.cfg.RunID != "r1" {
		t.Errorf("-shape padded -run r1: %+v, %v", o.cfg, err)
	}
	if _, err := parseArgs([]string{"-url", "http://h"}, env(""), io.Discard); err == nil || !strings.Contains(err.Error(), "CALWATCH_SIGNING_KEY") {
		t.Errorf("missing key: %v", err)
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("-url http://127.0.0.1:1/h -conns 64")
	f.Add("-n -5 -size 99999999999")
	f.Add("-url :// -json")
	f.Fuzz(func(t *testing.T, line string) {
		o, err := parseArgs(strings.Fields(line), env("k"), io.Discard)
		if err == nil && (o.cfg.Connections < 1 || o.cfg.Total < 1 || o.cfg.URL == "") {
			t.Fatalf("accepted %q as %+v", line, o.cfg)
		}
	})
}
