-- Indexes for the engine's cluster mode (docs/storage.md "Many nodes"):
-- a submit admits the session's older unfinished messages first (one lookup by session);
CREATE INDEX journal_unfinished_session ON journal (session, seq) WHERE status IN ('RECEIVED', 'QUEUED', 'RUNNING');
-- a poll looks for sessions whose lease expired with replies left undelivered (a range over expiries).
CREATE INDEX sessions_leased_expiry ON sessions (lease_expires_at) WHERE lease_owner IS NOT NULL;
