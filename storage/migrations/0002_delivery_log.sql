-- 0002: a bounded delivery log. Refused requests keep a prefix of their
-- body with the whole body's size and SHA-256; duplicates keep no body and
-- point at the delivery first received with their signature; replay keys
-- are pruned by age (a signature older than the tolerance cannot verify).

-- body_size: bytes received, NULL when the stored body is the whole body.
-- body_sha256: hex SHA-256 of the whole body, '' when not computed.
-- duplicate_of: for a duplicate, the id of the first delivery with its
-- signature (no foreign key: the original may be pruned first).
ALTER TABLE deliveries ADD COLUMN body_size INTEGER;
ALTER TABLE deliveries ADD COLUMN body_sha256 TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN duplicate_of INTEGER;

-- The refused rows, oldest first, for the ring that caps them; accepted
-- deliveries never enter this index.
CREATE INDEX deliveries_refused ON deliveries (id) WHERE outcome = 'refused';

-- delivery_id: the log row of the delivery that first carried the key.
ALTER TABLE replay_keys ADD COLUMN delivery_id INTEGER;
CREATE INDEX replay_keys_first_seen ON replay_keys (first_seen);
