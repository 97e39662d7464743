package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.StorageConfig;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStoreTest extends JdbcStoreCases {

  @TempDir Path dir;

  @Override
  StorageConfig config() {
    return StorageConfig.sqlite(dir.resolve("sub/dir/baton.db").toString()).withPoolSize(2);
  }

  @Override
  JdbcStore open(StorageConfig c) {
    return track(SqliteStore.openWithoutRetention(c, scheduler));
  }

  @Override
  void migrateOnlyTo(String version) {
    try {
      java.nio.file.Files.createDirectories(dir.resolve("sub/dir"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    org.flywaydb.core.Flyway.configure().dataSource(url(), null, null).locations(Dialect.SQLITE.migrations)
        .target(version).load().migrate();
  }

  @Override
  String versionBeforeStreams() {
    return "2";
  }

  @Override
  java.sql.Connection connect() throws java.sql.SQLException {
    return java.sql.DriverManager.getConnection(url());
  }

  private String url() {
    return "jdbc:sqlite:" + Path.of(config().path()).toAbsolutePath();
  }

  @Test
  void theFileIsInWalModeWithFullSync() {
    JdbcStore store = open();
    String mode = store.read(c -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
        rs.next();
        return rs.getString(1);
      }
    });
    int sync = store.read(c -> {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA synchronous")) {
        rs.next();
        return rs.getInt(1);
      }
    });
    assertThat(mode).isEqualToIgnoringCase("wal");
    assertThat(sync).as("2 = FULL").isEqualTo(2);
  }
}
