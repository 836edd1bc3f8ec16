-- 0006: what the developer's app answered when listen --forward-to sent it
-- a delivery: one row per forwarded delivery (the latest attempt).
-- status is 0 when the app gave no answer (error says why); latency_us is
-- the time from sending to having read the answer prefix; answer keeps at
-- most the first 4 KiB of the app's body. The row goes with its delivery.
CREATE TABLE forwards (
    delivery_id      INTEGER PRIMARY KEY REFERENCES deliveries (id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    at               TEXT NOT NULL,
    status           INTEGER NOT NULL DEFAULT 0,
    latency_us       INTEGER NOT NULL DEFAULT 0,
    answer           BLOB NOT NULL DEFAULT x'',
    answer_truncated INTEGER NOT NULL DEFAULT 0,
    error            TEXT NOT NULL DEFAULT ''
);
