-- 0012: webhook subscriptions calwatch is about to create. An intent is
-- recorded before the create call and forgotten once the subscription is
-- remembered (or the create surely failed), so a crash between Calendly's
-- 201 and remembering leaves the intent behind: the next run knows the
-- subscription on that callback URL, created about then, is its own.
CREATE TABLE subscription_intents (
    callback_url TEXT PRIMARY KEY,
    scope        TEXT NOT NULL,
    owner        TEXT NOT NULL,
    at           TEXT NOT NULL
);
