package dev.baton.config;

/** {@code dedup:} */
public record DedupConfig(
    @Doc("How long a dedup key is remembered (ms). Platforms retry for up to a day or more.") long windowMs,
    @Doc("Most dedup records the `memory` store keeps per channel. A record is never forgotten inside its"
        + " window to make room: at the bound new messages of that channel are refused as busy (429) until"
        + " records leave the window. The SQL stores keep records on disk until `window_ms` passes.")
        long maxEntries,
    @Doc("Width of the sent-at time bucket in the fingerprint of a message without an id (ms).")
        long fingerprintBucketMs,
    @Doc("Most dedup records the `memory` store keeps per sender of one channel, so one flooding user cannot"
        + " use up the channel's `max_entries` for everyone (beyond it the sender's messages get 429).")
        long maxEntriesPerSender) {

  public DedupConfig {
    Checks.positive("window_ms", windowMs);
    Checks.positive("max_entries", maxEntries);
    Checks.positive("fingerprint_bucket_ms", fingerprintBucketMs);
    Checks.positive("max_entries_per_sender", maxEntriesPerSender);
  }

  public static DedupConfig defaults() {
    return new DedupConfig(86_400_000L, 1_000_000L, 60_000L, 10_000L);
  }
}
