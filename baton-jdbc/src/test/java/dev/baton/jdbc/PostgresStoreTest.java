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

  @Override
  void migrateOnlyTo(String version) {
    StorageConfig c = config();
    org.flywaydb.core.Flyway.configure().dataSource(c.url(), c.user(), c.password())
        .locations(Dialect.POSTGRES.migrations).target(version).load().migrate();
  }

  @Override
  String versionBeforeStreams() {
    return "3";
  }

  @Override
  java.sql.Connection connect() throws java.sql.SQLException {
    StorageConfig c = config();
    return java.sql.DriverManager.getConnection(c.url(), c.user(), c.password());
  }
}
