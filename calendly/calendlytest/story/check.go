package story

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
)

// check reads the status endpoint and compares each expectation.
func (r *runner) check(ctx context.Context, n int, st Step) {
	var doc any
	var err error
	switch {
	case r.opts.StatusURL != "":
		doc, err = r.status(ctx)
	case r.opts.Status != nil:
		doc, err = r.opts.Status(ctx)
	default:
		r.res.Skipped += len(st.Check)
		return
	}
	if err != nil {
		r.fail(n, st, "a JSON answer from the status endpoint", err.Error())
		return
	}
	for _, c := range st.Check {
		var unknown []string
		expand := func(s string) string {
			return variable.ReplaceAllStringFunc(s, func(m string) string {
				sub := variable.FindStringSubmatch(m)
				if v, ok := r.lookup(sub[1], sub[2]); ok {
					return v
				}
				unknown = append(unknown, m)
				return m
			})
		}
		p := expand(c.Path)
		want := c.Equals
		if s, ok := want.(string); ok {
			want = expand(s)
		}
		if len(unknown) > 0 {
			r.fail(n, st, "known names in "+c.Path, "unknown "+unknown[0]+" (names are booked names; fields: email, event, invitee, old_event, old_invitee)")
			continue
		}
		path, err := ParsePath(p)
		if err != nil {
			r.fail(n, st, "a path", err.Error())
			continue
		}
		wantJSON, err := json.Marshal(want)
		if err != nil {
			r.fail(n, st, fmt.Sprintf("%s = a JSON value", p), err.Error())
			continue
		}
		var wantV any
		json.Unmarshal(wantJSON, &wantV)
		got, err := path.Lookup(doc)
		if err != nil {
			r.fail(n, st, fmt.Sprintf("%s = %s", p, wantJSON), err.Error())
			continue
		}
		if !reflect.DeepEqual(got, wantV) {
			gotJSON, _ := json.Marshal(got)
			r.fail(n, st, fmt.Sprintf("%s = %s", p, wantJSON), string(gotJSON))
			continue
		}
		r.res.Checks++
	}
}

func (r *runner) lookup(name, field string) (string, bool) {
	p, ok := r.people[name]
	if !ok {
		return "", false
	}
	switch field {
	case "email":
		return p.email, true
	case "event":
		return p.event, true
	case "invitee":
		return p.invitee, true
	case "old_event":
		return p.oldEvent, p.oldEvent != ""
	case "old_invitee":
		return p.oldInvitee, p.oldInvitee != ""
	}
	return "", false
}

func (r *runner) status(ctx context.Context) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.opts.StatusURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("no answer: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxStatusBytes+1))
	if err != nil {
		return nil, fmt.Errorf("the answer could not be read: %v", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	if len(body) > maxStatusBytes {
		return nil, fmt.Errorf("an answer longer than %d bytes", maxStatusBytes)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("an answer that is not JSON (%v)", err)
	}
	return doc, nil
}
