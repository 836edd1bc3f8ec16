package calendly

import "encoding/json"

// The resources below follow Calendly API v2 as published (the 2023 OpenAPI
// spec, the 2026 Postman collection) and as captured in real deliveries.
// Fields Calendly may send as null are pointers (strings) or pointers to
// structs, so a value decoded and encoded again keeps its nulls.

// User is GET /users/me and /users/{uuid}.
type User struct {
	URI                 string  `json:"uri"`
	Name                string  `json:"name"`
	Slug                string  `json:"slug"`
	Email               string  `json:"email"`
	SchedulingURL       string  `json:"scheduling_url"`
	Timezone            string  `json:"timezone"`
	AvatarURL           *string `json:"avatar_url"`
	CreatedAt           Time    `json:"created_at"`
	UpdatedAt           Time    `json:"updated_at"`
	CurrentOrganization string  `json:"current_organization"`
	ResourceType        string  `json:"resource_type,omitempty"`
	Locale              string  `json:"locale,omitempty"`
}

// OrganizationMembership is one row of GET /organization_memberships.
type OrganizationMembership struct {
	URI          string `json:"uri"`
	Role         string `json:"role"`
	User         User   `json:"user"`
	Organization string `json:"organization"`
	CreatedAt    Time   `json:"created_at"`
	UpdatedAt    Time   `json:"updated_at"`
}

// Event statuses and invitee statuses.
const (
	StatusActive   = "active"
	StatusCanceled = "canceled"
)

// ScheduledEvent is a booked meeting: GET /scheduled_events/{uuid}, and the
// scheduled_event object inside invitee deliveries.
type ScheduledEvent struct {
	URI               string            `json:"uri"`
	Name              string            `json:"name"`
	MeetingNotesPlain *string           `json:"meeting_notes_plain"`
	MeetingNotesHTML  *string           `json:"meeting_notes_html"`
	Status            string            `json:"status"`
	StartTime         Time              `json:"start_time"`
	EndTime           Time              `json:"end_time"`
	EventType         string            `json:"event_type"`
	Location          *Location         `json:"location"`
	InviteesCounter   InviteesCounter   `json:"invitees_counter"`
	CreatedAt         Time              `json:"created_at"`
	UpdatedAt         Time              `json:"updated_at"`
	EventMemberships  []EventMembership `json:"event_memberships"`
	EventGuests       []Guest           `json:"event_guests"`
	Cancellation      *Cancellation     `json:"cancellation,omitempty"`
	CalendarEvent     *CalendarEvent    `json:"calendar_event,omitempty"`
}

// InviteesCounter counts an event's invitees.
type InviteesCounter struct {
	Total  int `json:"total"`
	Active int `json:"active"`
	Limit  int `json:"limit"`
}

// EventMembership is a host of a scheduled event.
type EventMembership struct {
	User      string `json:"user"`
	UserEmail string `json:"user_email,omitempty"`
	UserName  string `json:"user_name,omitempty"`
}

// Guest is a person an invitee added to the event.
type Guest struct {
	Email     string `json:"email"`
	CreatedAt Time   `json:"created_at"`
	UpdatedAt Time   `json:"updated_at"`
}

// CalendarEvent is the host's calendar provider entry for an event.
type CalendarEvent struct {
	Kind       string `json:"kind"`
	ExternalID string `json:"external_id"`
}

// Location is where a meeting happens. Type is an open set: "physical",
// "zoom", "zoom_conference", "google_conference", "custom", "ask_invitee",
// "inbound_call", "outbound_call", and whatever Calendly adds next. Data is
// kept as sent because its shape depends on the provider.
type Location struct {
	Type           string          `json:"type"`
	Location       string          `json:"location,omitempty"`
	AdditionalInfo string          `json:"additional_info,omitempty"`
	JoinURL        string          `json:"join_url,omitempty"`
	Status         string          `json:"status,omitempty"`
	PhoneNumber    string          `json:"phone_number,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// Summary is the one line a person wants to read about a location.
func (l *Location) Summary() string {
	if l == nil {
		return ""
	}
	for _, s := range []string{l.JoinURL, l.Location, l.PhoneNumber} {
		if s != "" {
			return s
		}
	}
	return l.Type
}

// Cancellation says who canceled, when and why.
type Cancellation struct {
	CanceledBy   string  `json:"canceled_by"`
	Reason       *string `json:"reason"`
	CancelerType string  `json:"canceler_type"`
	CreatedAt    Time    `json:"created_at,omitzero"`
}

// Invitee is a person who booked a scheduled event: GET
// /scheduled_events/{uuid}/invitees/{uuid}, and the payload of invitee
// deliveries (which add ScheduledEvent).
type Invitee struct {
	URI                   string           `json:"uri"`
	Email                 string           `json:"email"`
	FirstName             *string          `json:"first_name"`
	LastName              *string          `json:"last_name"`
	Name                  string           `json:"name"`
	Status                string           `json:"status"`
	QuestionsAndAnswers   []QuestionAnswer `json:"questions_and_answers"`
	Timezone              *string          `json:"timezone"`
	Event                 string           `json:"event"`
	CreatedAt             Time             `json:"created_at"`
	UpdatedAt             Time             `json:"updated_at"`
	Tracking              *Tracking        `json:"tracking"`
	TextReminderNumber    *string          `json:"text_reminder_number"`
	Rescheduled           bool             `json:"rescheduled"`
	OldInvitee            *string          `json:"old_invitee"`
	NewInvitee            *string          `json:"new_invitee"`
	CancelURL             string           `json:"cancel_url"`
	RescheduleURL         string           `json:"reschedule_url"`
	RoutingFormSubmission *string          `json:"routing_form_submission"`
	Cancellation          *Cancellation    `json:"cancellation,omitempty"`
	Payment               *Payment         `json:"payment"`
	NoShow                *NoShowRef       `json:"no_show"`
	Reconfirmation        *Reconfirmation  `json:"reconfirmation"`
	SchedulingMethod      *string          `json:"scheduling_method"`
	InviteeScheduledBy    *string          `json:"invitee_scheduled_by"`
	ScheduledEvent        *ScheduledEvent  `json:"scheduled_event,omitempty"`
}

// QuestionAnswer is one answer on the booking form.
type QuestionAnswer struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Position int    `json:"position"`
}

// Tracking holds the UTM parameters a booking came with.
type Tracking struct {
	UTMCampaign    *string `json:"utm_campaign"`
	UTMSource      *string `json:"utm_source"`
	UTMMedium      *string `json:"utm_medium"`
	UTMContent     *string `json:"utm_content"`
	UTMTerm        *string `json:"utm_term"`
	SalesforceUUID *string `json:"salesforce_uuid"`
}

// Payment is what an invitee paid.
type Payment struct {
	ExternalID string  `json:"external_id"`
	Provider   string  `json:"provider"`
	Amount     float64 `json:"amount"`
	Currency   string  `json:"currency"`
	Terms      *string `json:"terms"`
	Successful bool    `json:"successful"`
}

// NoShowRef is the no_show object inside an invitee.
type NoShowRef struct {
	URI       string `json:"uri"`
	CreatedAt Time   `json:"created_at"`
}

// Reconfirmation is present when the event type asks invitees to reconfirm.
type Reconfirmation struct {
	CreatedAt   Time  `json:"created_at"`
	ConfirmedAt *Time `json:"confirmed_at"`
}

// InviteeNoShow is POST /invitee_no_shows and GET /invitee_no_shows/{uuid}.
type InviteeNoShow struct {
	URI       string `json:"uri"`
	Invitee   string `json:"invitee"`
	CreatedAt Time   `json:"created_at"`
}

// Webhook subscription scopes and states.
const (
	ScopeUser         = "user"
	ScopeOrganization = "organization"
	StateActive       = "active"
	StateDisabled     = "disabled"
)

// WebhookSubscription is a registered webhook. Calendly never returns the
// signing key.
type WebhookSubscription struct {
	URI            string   `json:"uri"`
	CallbackURL    string   `json:"callback_url"`
	CreatedAt      Time     `json:"created_at"`
	UpdatedAt      Time     `json:"updated_at"`
	RetryStartedAt *Time    `json:"retry_started_at"`
	State          string   `json:"state"`
	Events         []string `json:"events"`
	Scope          string   `json:"scope"`
	Organization   string   `json:"organization"`
	User           *string  `json:"user"`
	Group          *string  `json:"group,omitempty"`
	Creator        *string  `json:"creator"`
}

// Pagination is the pagination object of every list answer.
type Pagination struct {
	Count             int     `json:"count"`
	NextPage          *string `json:"next_page"`
	PreviousPage      *string `json:"previous_page"`
	NextPageToken     *string `json:"next_page_token"`
	PreviousPageToken *string `json:"previous_page_token"`
}

// ErrorBody is the body of every Calendly API error answer.
type ErrorBody struct {
	Title   string        `json:"title"`
	Message string        `json:"message"`
	Details []ErrorDetail `json:"details,omitempty"`
}

// ErrorDetail names one offending parameter.
type ErrorDetail struct {
	Parameter string `json:"parameter,omitempty"`
	Message   string `json:"message"`
}

// RoutingFormSubmission is the payload of routing_form_submission.created.
type RoutingFormSubmission struct {
	URI                 string                     `json:"uri"`
	RoutingForm         string                     `json:"routing_form"`
	QuestionsAndAnswers []SubmissionQuestionAnswer `json:"questions_and_answers"`
	Tracking            *Tracking                  `json:"tracking"`
	Result              *SubmissionResult          `json:"result"`
	Submitter           *string                    `json:"submitter"`
	SubmitterType       *string                    `json:"submitter_type"`
	CreatedAt           Time                       `json:"created_at"`
	UpdatedAt           Time                       `json:"updated_at"`
}

// SubmissionQuestionAnswer is one answer on a routing form.
type SubmissionQuestionAnswer struct {
	QuestionUUID string `json:"question_uuid"`
	Question     string `json:"question"`
	Answer       string `json:"answer"`
}

// SubmissionResult is where a routing form sent its submitter. Value is a
// string for most result types and an object for some, so it is kept raw.
type SubmissionResult struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// EventType is the payload of event_type.* deliveries. Locations and custom
// questions are kept raw: their shapes vary by kind and change over time.
type EventType struct {
	URI              string          `json:"uri"`
	Name             string          `json:"name"`
	Active           bool            `json:"active"`
	BookingMethod    string          `json:"booking_method,omitempty"`
	Slug             *string         `json:"slug"`
	SchedulingURL    string          `json:"scheduling_url"`
	Duration         int             `json:"duration"`
	DurationOptions  []int           `json:"duration_options"`
	Kind             string          `json:"kind"`
	IsPaid           bool            `json:"is_paid"`
	PoolingType      *string         `json:"pooling_type"`
	Type             string          `json:"type"`
	Color            string          `json:"color"`
	CreatedAt        Time            `json:"created_at"`
	UpdatedAt        Time            `json:"updated_at"`
	InternalNote     *string         `json:"internal_note"`
	DescriptionPlain *string         `json:"description_plain"`
	DescriptionHTML  *string         `json:"description_html"`
	Profile          *Profile        `json:"profile"`
	Secret           bool            `json:"secret"`
	DeletedAt        *Time           `json:"deleted_at"`
	AdminManaged     bool            `json:"admin_managed"`
	Locations        json.RawMessage `json:"locations"`
	Position         int             `json:"position"`
	CustomQuestions  json.RawMessage `json:"custom_questions"`
	Locale           string          `json:"locale,omitempty"`
}

// Profile is the owner of an event type.
type Profile struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Owner string `json:"owner"`
}

// Str returns *p, or "" for nil: for reading the nullable string fields.
func Str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Ptr returns a pointer to v: for filling nullable fields.
func Ptr[T any](v T) *T { return &v }
