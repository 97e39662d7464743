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
