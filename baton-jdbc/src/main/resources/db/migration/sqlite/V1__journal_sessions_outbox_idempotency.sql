-- Baton schema v1 (SQLite). Times are nanoseconds since the epoch (BIGINT), statuses are enum names.
CREATE TABLE journal (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  dedup_key   TEXT    NOT NULL UNIQUE,
  session     TEXT    NOT NULL,
  status      TEXT    NOT NULL,
  received_at BIGINT  NOT NULL,
  channel     TEXT    NOT NULL,
  message_id  TEXT    NOT NULL,
  sender      TEXT    NOT NULL,
  chat        TEXT    NOT NULL,
  order_kind  TEXT    NOT NULL,
  order_value BIGINT  NOT NULL,
  text        TEXT    NOT NULL,
  sent_at     BIGINT  NOT NULL,
  routing     TEXT    NOT NULL
);
CREATE INDEX journal_unfinished ON journal (seq) WHERE status IN ('RECEIVED', 'QUEUED', 'RUNNING');
CREATE INDEX journal_received_at ON journal (received_at);

CREATE TABLE sessions (
  session          TEXT   PRIMARY KEY,
  last_outbox_seq  BIGINT NOT NULL DEFAULT 0,
  transcript_len   BIGINT NOT NULL DEFAULT 0,
  lease_owner      TEXT,
  lease_token      BIGINT NOT NULL DEFAULT 0,
  lease_expires_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE session_state (
  session TEXT NOT NULL,
  key     TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (session, key)
);

CREATE TABLE transcript (
  session TEXT   NOT NULL,
  seq     BIGINT NOT NULL,
  role    TEXT   NOT NULL,
  text    TEXT   NOT NULL,
  at      BIGINT NOT NULL,
  PRIMARY KEY (session, seq)
);

CREATE TABLE outbox (
  session     TEXT   NOT NULL,
  outbox_seq  BIGINT NOT NULL,
  channel     TEXT   NOT NULL,
  chat        TEXT   NOT NULL,
  in_reply_to TEXT   NOT NULL,
  kind        TEXT   NOT NULL,
  text        TEXT   NOT NULL,
  turn        BIGINT,
  routing     TEXT   NOT NULL,
  PRIMARY KEY (session, outbox_seq)
);

CREATE TABLE idempotency (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  session        TEXT   NOT NULL,
  tool           TEXT   NOT NULL,
  key            TEXT   NOT NULL,
  arguments_hash TEXT   NOT NULL,
  outcome        TEXT   NOT NULL,
  result         TEXT   NOT NULL,
  expires_at     BIGINT NOT NULL,
  UNIQUE (session, tool, key)
);
CREATE INDEX idempotency_expires_at ON idempotency (expires_at);
