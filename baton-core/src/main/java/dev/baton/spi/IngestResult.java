package dev.baton.spi;

/** The outcome of {@link Store#ingest}. */
public sealed interface IngestResult {

  /** The entry is new; {@code journalSeq} orders it among all journaled messages. */
  record Inserted(long journalSeq) implements IngestResult {}

  /** An entry with the same dedup key is already journaled. */
  record Existing(MessageStatus status) implements IngestResult {}

  /**
   * Nothing was journaled: the store holds as many dedup records as it may for this message's channel or
   * sender ({@code dedup.max_entries}, {@code dedup.max_entries_per_sender}), and a record is never forgotten
   * inside its window to make room (P2). The engine refuses the message as busy (429 on the HTTP API).
   *
   * @param reason what bound was reached, for logs and the refusal (never client text)
   */
  record Full(String reason) implements IngestResult {}
}
