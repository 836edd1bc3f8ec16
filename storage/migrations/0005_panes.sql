-- 0005: indexes the TUI's panes read through (storage/panes*.go), so no
-- pane ever scans a table.

-- A month's per-day counts read start and status from the index alone.
-- It replaces events_start, which it serves as well.
CREATE INDEX events_start_status ON events (start_time, status);
DROP INDEX events_start;

-- Contacts paged by name (keyset on name, email) and searched by name
-- prefix, case-insensitively; the email prefix is served by the primary key.
CREATE INDEX contacts_name ON contacts (name COLLATE NOCASE, email);
