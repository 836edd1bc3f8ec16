-- 0013: which stored delivery a request says it replays.
--
-- calwatch's replayer (the TUI's r and e, `calwatch deliveries resend`)
-- sends a stored delivery again with the request header
-- Calwatch-Replay-Of: <delivery id>. Anyone can send that header, so it is
-- a hint for the feed and the inspector only: it never changes a verdict
-- or what is stored of the booking.
--
-- The hint is read once, when the row is written, from the headers column
-- (0009's JSON, canonical names): the first Calwatch-Replay-Of whose value
-- is a positive id written as calwatch writes it (decimal, no sign, no
-- leading zero, within 64 bits). It lives in a small table of its own, like
-- delivery_answers, so the feed reads it by primary key and writing it
-- never rewrites the page that holds a body. Rows from before 0012 were
-- not sent with the header by any calwatch, so none is backfilled.
CREATE TABLE delivery_replays (
    delivery_id INTEGER PRIMARY KEY,  -- deliveries.id
    replay_of   INTEGER NOT NULL      -- the id the header named
);

CREATE TRIGGER deliveries_replay_hint AFTER INSERT ON deliveries
WHEN new.headers LIKE '%"Calwatch-Replay-Of"%' AND json_valid(new.headers)
BEGIN
    INSERT OR IGNORE INTO delivery_replays (delivery_id, replay_of)
    SELECT new.id, CAST(json_extract(h.value, '$[1]') AS INTEGER)
    FROM json_each(new.headers, '$.h') h
    WHERE json_extract(h.value, '$[0]') = 'Calwatch-Replay-Of'
        AND typeof(json_extract(h.value, '$[1]')) = 'text'
        AND CAST(CAST(json_extract(h.value, '$[1]') AS INTEGER) AS TEXT) = json_extract(h.value, '$[1]')
        AND CAST(json_extract(h.value, '$[1]') AS INTEGER) > 0
    ORDER BY h.key
    LIMIT 1;
END;

CREATE TRIGGER deliveries_replay_gone AFTER DELETE ON deliveries BEGIN
    DELETE FROM delivery_replays WHERE delivery_id = old.id;
END;
