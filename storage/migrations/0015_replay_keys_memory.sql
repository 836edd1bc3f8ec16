-- 0015: replay keys live in the writer's memory, not in a table.
--
-- A signature verifies only while its timestamp is within the tolerance
-- (180 s) of the receiver's clock, so only the keys of the last few minutes
-- can ever be replayed. The writer keeps those in memory and reads them
-- back at Open from the delivery log itself (deliveries.replay_key and
-- received_at, through deliveries_received), so a restart still refuses a
-- replay of what was taken before it. Each delivery no longer writes a
-- leaf of a B-tree on a random key (about one WAL page in sixteen).
DROP INDEX IF EXISTS replay_keys_first_seen;
DROP TABLE IF EXISTS replay_keys;
