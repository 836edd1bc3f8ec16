// Package loadgen sends signed Calendly deliveries to a webhook listener
// as fast as a set of connections allows and measures what came back: the
// ingest benchmark, the kill -9 test and `go run ./tunnel/listener/loadgen/cmd/loadgen`
// all drive calwatch (or any other listener) with it.
package loadgen

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Delivery is one generated delivery: its body and the invitee it books,
// by which a test finds it in the database afterwards.
type Delivery struct {
	InviteeURI string
	Event      string // the delivery's event, e.g. invitee.created
	Body       []byte
}

// InviteeCreated builds invitee.created delivery number n (distinct invitee,
// event and email for every n) padded with form answers to about size
// bytes. Bodies are deterministic for a given (runID, n, size).
func InviteeCreated(runID string, n, size int) Delivery {
	eventURI := fmt.Sprintf("https://api.calendly.com/scheduled_events/%s-%08d", runID, n)
	inviteeURI := eventURI + fmt.Sprintf("/invitees/%s-%08d", runID, n)
	base := time.Date(2026, 6, 9, 21, 37, 17, 731525000, time.UTC)
	start := base.Add(time.Duration(n%5000) * 30 * time.Minute)
	host := "https://api.calendly.com/users/loadgen-host"
	d := delivery{
		CreatedAt: calendly.NewTime(base),
		CreatedBy: host,
		Event:     calendly.EventInviteeCreated,
		Payload: calendly.Invitee{
			URI:           inviteeURI,
			Email:         fmt.Sprintf("invitee-%s-%d@example.com", runID, n),
			Name:          fmt.Sprintf("Invitee %d", n),
			Status:        calendly.StatusActive,
			Timezone:      calendly.Ptr("Europe/Berlin"),
			Event:         eventURI,
			CreatedAt:     calendly.NewTime(base),
			UpdatedAt:     calendly.NewTime(base),
			CancelURL:     "https://calendly.com/cancellations/" + runID,
			RescheduleURL: "https://calendly.com/reschedulings/" + runID,
			Tracking:      &calendly.Tracking{},
			QuestionsAndAnswers: []calendly.QuestionAnswer{
				{Question: "What should we talk about?", Answer: "", Position: 0},
			},
			ScheduledEvent: &calendly.ScheduledEvent{
				URI:              eventURI,
				Name:             "Intro call",
				Status:           calendly.StatusActive,
				StartTime:        calendly.NewTime(start),
				EndTime:          calendly.NewTime(start.Add(30 * time.Minute)),
				EventType:        "https://api.calendly.com/event_types/loadgen",
				Location:         &calendly.Location{Type: "google_conference", JoinURL: "https://meet.google.com/abc-defg-hij"},
				InviteesCounter:  calendly.InviteesCounter{Total: 1, Active: 1, Limit: 1},
				CreatedAt:        calendly.NewTime(base),
				UpdatedAt:        calendly.NewTime(base),
				EventMemberships: []calendly.EventMembership{{User: host, UserEmail: "host@example.com", UserName: "Host"}},
				EventGuests:      []calendly.Guest{},
			},
		},
	}
	body := mustMarshal(d)
	if pad := size - len(body); pad > 0 {
		d.Payload.QuestionsAndAnswers[0].Answer = strings.Repeat("x", pad)
		body = mustMarshal(d)
	}
	return Delivery{InviteeURI: inviteeURI, Event: calendly.EventInviteeCreated, Body: body}
}

// delivery is calendly.Delivery with a typed payload, for encoding.
type delivery struct {
	CreatedAt calendly.Time    `json:"created_at"`
	CreatedBy string           `json:"created_by"`
	Event     string           `json:"event"`
	Payload   calendly.Invitee `json:"payload"`
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only fixed, encodable types are marshalled here
	}
	return b
}
