package ngrok

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// CheckVerifyKey refuses a signing key that --ngrok-verify cannot hand to
// ngrok unaltered.
func CheckVerifyKey(signingKey []byte) error {
	_, err := verifyWebhookPolicy(signingKey)
	return err
}

// verifyWebhookPolicy is ngrok's traffic policy that checks every request's
// Calendly-Webhook-Signature with signingKey at ngrok's edge and answers a
// forged or unsigned one 403 there, so it never reaches this machine (the
// listener verifies again all the same). ngrok accepts the policy as JSON
// as well as YAML; JSON encoding quotes the key whatever it contains.
//
// The result holds the signing key: it goes to ngrok and nowhere else.
func verifyWebhookPolicy(signingKey []byte) (string, error) {
	switch {
	case len(signingKey) == 0:
		return "", errors.New("--ngrok-verify needs the webhook signing key")
	case !utf8.Valid(signingKey):
		// JSON would carry it altered, and ngrok would refuse every delivery.
		return "", errors.New("--ngrok-verify cannot pass a signing key that is not UTF-8 text to ngrok; leave out --ngrok-verify")
	case bytes.Contains(signingKey, []byte("${")):
		// ngrok reads ${…} in the secret as an expression to interpolate.
		return "", errors.New("--ngrok-verify cannot pass a signing key containing \"${\" to ngrok (it would read it as an expression); leave out --ngrok-verify")
	}
	type config struct {
		Provider string `json:"provider"`
		Secret   string `json:"secret"`
		Enforce  bool   `json:"enforce"`
	}
	type action struct {
		Type   string `json:"type"`
		Config config `json:"config"`
	}
	type rule struct {
		Actions []action `json:"actions"`
	}
	policy := struct {
		OnHTTPRequest []rule `json:"on_http_request"`
	}{
		OnHTTPRequest: []rule{{Actions: []action{{
			Type:   "verify-webhook",
			Config: config{Provider: "calendly", Secret: string(signingKey), Enforce: true},
		}}}},
	}
	b, err := json.Marshal(policy)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
