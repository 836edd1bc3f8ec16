-- 0007: the TUI's "while you were away" digest counts and lists what
-- changed in a time window, read through this index alone.
CREATE INDEX IF NOT EXISTS activity_at ON activity (at, kind);
