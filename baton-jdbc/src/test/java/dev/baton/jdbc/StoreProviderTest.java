package dev.baton.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.config.BatonConfig;
import dev.baton.config.StorageConfig;
import dev.baton.spi.IngestResult;
import dev.baton.spi.Store;
import dev.baton.spi.StoreProvider;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code storage.backend: sqlite|postgres} is found with ServiceLoader and opens a working store. */
class StoreProviderTest {

  @TempDir Path dir;

  private static Map<StorageConfig.Backend, StoreProvider> providers() {
    return ServiceLoader.load(StoreProvider.class).stream().map(ServiceLoader.Provider::get)
        .collect(Collectors.toMap(StoreProvider::backend, Function.identity()));
  }

  @Test
  void bothBackendsAreRegistered() {
    assertThat(providers()).containsKeys(StorageConfig.Backend.SQLITE, StorageConfig.Backend.POSTGRES);
  }

  @Test
  void sqliteProviderOpensTheConfiguredFile() {
    BatonConfig config = BatonConfig.defaults()
        .withStorage(StorageConfig.sqlite(dir.resolve("data/b.db").toString()));
    try (Store s = providers().get(StorageConfig.Backend.SQLITE).open(config, new ManualScheduler())) {
      assertThat(s.ingest(JdbcStoreCases.entry("m1", Instant.EPOCH))).isInstanceOf(IngestResult.Inserted.class);
    }
    assertThat(dir.resolve("data/b.db")).exists();
  }

  @Test
  void postgresProviderConnectsToTheConfiguredUrl() {
    BatonConfig config = BatonConfig.defaults().withStorage(PgServer.freshSchema());
    try (Store s = providers().get(StorageConfig.Backend.POSTGRES).open(config, new ManualScheduler())) {
      assertThat(s.ping()).isTrue();
      assertThat(s.ingest(JdbcStoreCases.entry("m1", Instant.EPOCH))).isInstanceOf(IngestResult.Inserted.class);
    }
  }
}
