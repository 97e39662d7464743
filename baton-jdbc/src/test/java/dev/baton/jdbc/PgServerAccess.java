package dev.baton.jdbc;

import dev.baton.config.StorageConfig;

/** {@link PgServer} for tests in other packages. */
public final class PgServerAccess {
  private PgServerAccess() {}

  public static StorageConfig freshSchema() {
    return PgServer.freshSchema();
  }
}
