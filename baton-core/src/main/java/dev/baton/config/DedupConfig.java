package dev.baton.config;

/** {@code dedup:} */
public record DedupConfig(
    @Doc("How long a dedup key is remembered (ms). Platforms retry for up to a day or more.") long windowMs,
    @Doc("Most dedup keys remembered at once (the oldest go first); bounds memory.") long maxEntries,
    @Doc("Width of the sent-at time bucket in the fingerprint of a message without an id (ms).")
        long fingerprintBucketMs) {

  public DedupConfig {
    Checks.positive("window_ms", windowMs);
    Checks.positive("max_entries", maxEntries);
    Checks.positive("fingerprint_bucket_ms", fingerprintBucketMs);
  }

  public static DedupConfig defaults() {
    return new DedupConfig(86_400_000L, 1_000_000L, 60_000L);
  }
}
