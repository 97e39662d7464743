package dev.baton.config;

import java.util.Objects;

/** {@code storage:} (owned by the durable-journal work; extend here). */
public record StorageConfig(
    @Doc("`memory` (nothing survives), `sqlite` (one file, the default of `baton serve`) or `postgres`.")
        Backend backend,
    @Doc("SQLite database file.") String path) {

  public enum Backend { MEMORY, SQLITE, POSTGRES }

  public StorageConfig {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(path, "path");
  }

  public static StorageConfig defaults() {
    return new StorageConfig(Backend.MEMORY, "baton-data/baton.db");
  }
}
