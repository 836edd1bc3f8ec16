package ngrok

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestVerifyWebhookPolicyChecksCalendlySignaturesWithTheKey(t *testing.T) {
	key := `whsec "quoted" \back\slash, ünïcode and a newline` + "\n"
	text, err := verifyWebhookPolicy([]byte(key))
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		OnHTTPRequest []struct {
			Expressions []string `json:"expressions"`
			Actions     []struct {
				Type   string `json:"type"`
				Config struct {
					Provider string `json:"provider"`
					Secret   string `json:"secret"`
					Enforce  *bool  `json:"enforce"`
				} `json:"config"`
			} `json:"actions"`
		} `json:"on_http_request"`
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&policy); err != nil {
		t.Fatalf("policy is not the expected JSON: %v\n%s", err, text)
	}
	if len(policy.OnHTTPRequest) != 1 || len(policy.OnHTTPRequest[0].Actions) != 1 {
		t.Fatalf("want one rule with one action: %s", text)
	}
	rule := policy.OnHTTPRequest[0]
	a := rule.Actions[0]
	if len(rule.Expressions) != 0 {
		t.Errorf("the rule has expressions %v: some requests would skip verification", rule.Expressions)
	}
	if a.Type != "verify-webhook" || a.Config.Provider != "calendly" {
		t.Errorf("action %q provider %q, want verify-webhook / calendly", a.Type, a.Config.Provider)
	}
	if a.Config.Secret != key {
		t.Errorf("secret %q, want the signing key byte for byte", a.Config.Secret)
	}
	if a.Config.Enforce == nil || !*a.Config.Enforce {
		t.Error("enforce is not true: forged requests would pass through")
	}
}

func TestVerifyWebhookPolicyRefusesKeysNgrokWouldAlter(t *testing.T) {
	for _, key := range []string{"", "abc${req.url}def", "bad\xffutf8"} {
		if _, err := verifyWebhookPolicy([]byte(key)); err == nil {
			t.Errorf("key %q accepted", key)
		} else if key != "" && strings.Contains(err.Error(), key) {
			t.Errorf("the refusal quotes the key: %v", err)
		}
	}
}
