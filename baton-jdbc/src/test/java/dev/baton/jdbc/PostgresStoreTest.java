package dev.baton.jdbc;

import dev.baton.config.StorageConfig;

class PostgresStoreTest extends JdbcStoreCases {

  private StorageConfig config;

  @Override
  StorageConfig config() {
    if (config == null) config = PgServer.freshSchema();
    return config;
  }

  @Override
  JdbcStore open(StorageConfig c) {
    return track(PostgresStore.openWithoutRetention(c, scheduler));
  }
}
