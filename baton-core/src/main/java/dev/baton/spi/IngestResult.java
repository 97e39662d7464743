package dev.baton.spi;

/** The outcome of {@link Store#ingest}. */
public sealed interface IngestResult {

  /** The entry is new; {@code journalSeq} orders it among all journaled messages. */
  record Inserted(long journalSeq) implements IngestResult {}

  /** An entry with the same dedup key is already journaled. */
  record Existing(MessageStatus status) implements IngestResult {}
}
