package dev.baton.config;

import java.util.Objects;

/**
 * {@code storage:} where the journal, session state, outbox and idempotency records live (see
 * {@code docs/storage.md}). The password is never shown by {@link #toString()}.
 */
public record StorageConfig(
    @Doc("`memory` (nothing survives), `sqlite` (one file, the default of `baton serve`) or `postgres`.")
        Backend backend,
    @Doc("SQLite database file (backend `sqlite`); its directory is created if missing.") String path,
    @Doc("JDBC URL of the PostgreSQL database (backend `postgres`), e.g. `jdbc:postgresql://db:5432/baton`.")
        String url,
    @Doc("PostgreSQL user.") String user,
    @Secret @Doc("PostgreSQL password; write `${PG_PASSWORD}` to take it from the environment.") String password,
    @Doc("Most pooled database connections for reads (the group-commit writers take theirs besides). In cluster"
        + " mode on postgres the tool locks across nodes have a pool of this size too: up to 2 × pool_size +"
        + " writers connections per node.") int poolSize,
    @Doc("Parallel group-commit writers, each with its own connection (postgres; sqlite always has one).")
        int writers,
    @Doc("Most writes (ingests, turn commits, ...) committed in one transaction by the group-commit writer.")
        int groupCommitMaxBatch,
    @Doc("How long the writer waits for more writes before committing a batch (µs); 0 commits what is queued.")
        long groupCommitMaxDelayUs,
    @Doc("How long a node's lease on a session lasts unless renewed (ms); a dead node's sessions are taken"
        + " over after at most this long.") long leaseTtlMs,
    @Doc("How often expired dedup and idempotency records are pruned in the background (ms).")
        long pruneIntervalMs,
    @Doc("Most rows one prune transaction deletes, so pruning never stalls ingest for long.") int pruneBatch,
    @Doc("Transcript entries kept per session: a turn commit that goes past it deletes the session's oldest"
        + " entries (P11). Agents see the newest entries only.") int maxTranscriptEntries,
    @Doc("Undelivered replies kept per session in the outbox: a turn commit that goes past it deletes the"
        + " session's oldest undelivered replies (P11), so a client that never reads cannot grow it (this is what"
        + " bounds it in cluster mode, where `channels.api.reply_buffer` does not apply).") int maxOutboxPerSession) {

  public enum Backend { MEMORY, SQLITE, POSTGRES }

  public StorageConfig {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    Checks.positive("pool_size", poolSize);
    Checks.positive("writers", writers);
    Checks.positive("group_commit_max_batch", groupCommitMaxBatch);
    Checks.nonNegative("group_commit_max_delay_us", groupCommitMaxDelayUs);
    Checks.positive("lease_ttl_ms", leaseTtlMs);
    Checks.positive("prune_interval_ms", pruneIntervalMs);
    Checks.positive("prune_batch", pruneBatch);
    Checks.positive("max_transcript_entries", maxTranscriptEntries);
    Checks.positive("max_outbox_per_session", maxOutboxPerSession);
    if (backend == Backend.SQLITE && path.isBlank()) {
      throw new IllegalArgumentException("path must name the SQLite database file when backend is sqlite");
    }
    if (backend == Backend.POSTGRES && !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "url must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/db) when backend is postgres");
    }
  }

  /** Every key but {@code max_transcript_entries} and {@code max_outbox_per_session}, at their defaults. */
  public StorageConfig(Backend backend, String path, String url, String user, String password, int poolSize,
      int writers, int groupCommitMaxBatch, long groupCommitMaxDelayUs, long leaseTtlMs, long pruneIntervalMs,
      int pruneBatch) {
    this(backend, path, url, user, password, poolSize, writers, groupCommitMaxBatch, groupCommitMaxDelayUs,
        leaseTtlMs, pruneIntervalMs, pruneBatch, DEFAULT_MAX_TRANSCRIPT_ENTRIES, DEFAULT_MAX_OUTBOX_PER_SESSION);
  }

  public static final int DEFAULT_MAX_OUTBOX_PER_SESSION = 1_000;

  public static final int DEFAULT_MAX_TRANSCRIPT_ENTRIES = 1_000;

  /** A backend and a SQLite path, with every other key at its default. */
  public StorageConfig(Backend backend, String path) {
    this(backend, path, "", "", "", 8, 2, 1024, 0, 30_000, 60_000, 1_000);
  }

  public static StorageConfig defaults() {
    return new StorageConfig(Backend.MEMORY, "baton-data/baton.db");
  }

  /** A SQLite store in {@code path}, other keys at their defaults. */
  public static StorageConfig sqlite(String path) {
    return new StorageConfig(Backend.SQLITE, path);
  }

  /** A PostgreSQL store, other keys at their defaults. */
  public static StorageConfig postgres(String url, String user, String password) {
    return new StorageConfig(Backend.POSTGRES, "baton-data/baton.db", url, user, password, 8, 2, 1024, 0, 30_000,
        60_000, 1_000);
  }

  public StorageConfig withPoolSize(int n) {
    return new StorageConfig(backend, path, url, user, password, n, writers, groupCommitMaxBatch, groupCommitMaxDelayUs,
        leaseTtlMs, pruneIntervalMs, pruneBatch, maxTranscriptEntries, maxOutboxPerSession);
  }

  public StorageConfig withWriters(int n) {
    return new StorageConfig(backend, path, url, user, password, poolSize, n, groupCommitMaxBatch,
        groupCommitMaxDelayUs, leaseTtlMs, pruneIntervalMs, pruneBatch, maxTranscriptEntries, maxOutboxPerSession);
  }

  public StorageConfig withGroupCommit(int maxBatch, long maxDelayUs) {
    return new StorageConfig(backend, path, url, user, password, poolSize, writers, maxBatch, maxDelayUs, leaseTtlMs,
        pruneIntervalMs, pruneBatch, maxTranscriptEntries, maxOutboxPerSession);
  }

  /** The same configuration on another backend and SQLite path (every other key kept). */
  public StorageConfig withBackend(Backend b, String p) {
    return new StorageConfig(b, p, url, user, password, poolSize, writers, groupCommitMaxBatch,
        groupCommitMaxDelayUs, leaseTtlMs, pruneIntervalMs, pruneBatch, maxTranscriptEntries, maxOutboxPerSession);
  }

  public StorageConfig withLeaseTtlMs(long ms) {
    return new StorageConfig(backend, path, url, user, password, poolSize, writers, groupCommitMaxBatch,
        groupCommitMaxDelayUs, ms, pruneIntervalMs, pruneBatch, maxTranscriptEntries, maxOutboxPerSession);
  }

  public StorageConfig withMaxTranscriptEntries(int n) {
    return new StorageConfig(backend, path, url, user, password, poolSize, writers, groupCommitMaxBatch,
        groupCommitMaxDelayUs, leaseTtlMs, pruneIntervalMs, pruneBatch, n, maxOutboxPerSession);
  }

  public StorageConfig withMaxOutboxPerSession(int n) {
    return new StorageConfig(backend, path, url, user, password, poolSize, writers, groupCommitMaxBatch,
        groupCommitMaxDelayUs, leaseTtlMs, pruneIntervalMs, pruneBatch, maxTranscriptEntries, n);
  }

  public StorageConfig withPrune(long intervalMs, int batch) {
    return new StorageConfig(backend, path, url, user, password, poolSize, writers, groupCommitMaxBatch,
        groupCommitMaxDelayUs, leaseTtlMs, intervalMs, batch, maxTranscriptEntries, maxOutboxPerSession);
  }

  @Override
  public String toString() {
    return "StorageConfig[backend=" + backend + ", path=" + path + ", url=" + url + ", user=" + user
        + ", password=" + Secrets.mask(password) + ", poolSize=" + poolSize + ", writers=" + writers
        + ", groupCommitMaxBatch=" + groupCommitMaxBatch + ", groupCommitMaxDelayUs=" + groupCommitMaxDelayUs + ", leaseTtlMs=" + leaseTtlMs
        + ", pruneIntervalMs=" + pruneIntervalMs + ", pruneBatch=" + pruneBatch + "]";
  }
}
