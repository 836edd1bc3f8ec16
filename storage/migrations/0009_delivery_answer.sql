-- 0009: what calwatch answered each delivery, how long it took, and the
-- request's headers.
--
-- deliveries.answer_status: the HTTP status calwatch answered the sender,
-- known when the row is written for an accepted or refused request; NULL
-- when unknown (rows from before 0009, and a failed delivery, whose
-- status comes with its latency).
-- deliveries.headers: the request's headers other than
-- Calendly-Webhook-Signature (kept in signature_header), as JSON
-- {"h":[[name, value], …], "cut": n}: canonical names, sorted, a repeated
-- header's values in the order received. At most 4 KiB of it is kept for
-- an accepted delivery and 512 bytes for a refused request; the headers
-- that do not fit are left out whole and counted in "cut". Authorization,
-- Proxy-Authorization and Cookie keep their name only. NULL for rows from
-- before 0009.
ALTER TABLE deliveries ADD COLUMN answer_status INTEGER;
ALTER TABLE deliveries ADD COLUMN headers TEXT;

-- The latency (microseconds from the start of the request to the answer
-- written) is known only after the row's transaction commits, so the
-- writer's next transaction (or a small one a second later when nothing
-- else comes) writes it for every row answered since: never a write of
-- its own per delivery. It lives here, a few bytes a row, rather than in
-- deliveries: updating a deliveries row rewrites the page that holds its
-- body, which doubled what each commit wrote. answer_status here, when
-- set, is what was answered after all (a failed delivery's 5xx).
CREATE TABLE delivery_answers (
    delivery_id   INTEGER PRIMARY KEY,  -- deliveries.id
    answer_status INTEGER,
    latency_us    INTEGER NOT NULL
);
CREATE TRIGGER deliveries_answer_gone AFTER DELETE ON deliveries BEGIN
    DELETE FROM delivery_answers WHERE delivery_id = old.id;
END;
