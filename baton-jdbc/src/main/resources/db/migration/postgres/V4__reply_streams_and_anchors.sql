-- Baton schema v4 (PostgreSQL), P10 live turns.
-- A reply's stream ('' if it was not streamed) and every message it answers (URL-encoded ids joined by
-- commas; '' = only in_reply_to, which is what the rows written before v4 read as).
ALTER TABLE outbox ADD COLUMN stream_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN covers    TEXT NOT NULL DEFAULT '';

-- The platform message a stream's preview created (Store.putAnchor), so a re-run after a crash and the final
-- reply edit it. At most Store.MAX_ANCHORS_PER_SESSION rows per session: `seq` orders a session's puts (a
-- put past the bound deletes the lowest); created_at (nanoseconds, the store's clock) is for prune.
CREATE TABLE stream_anchors (
  session    TEXT   NOT NULL,
  stream_id  TEXT   NOT NULL,
  anchor     TEXT   NOT NULL,
  seq        BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (session, stream_id)
);
CREATE INDEX stream_anchors_created_at ON stream_anchors (created_at);
