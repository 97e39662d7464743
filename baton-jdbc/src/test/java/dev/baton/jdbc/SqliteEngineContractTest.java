package dev.baton.jdbc;

import dev.baton.testing.engine.EngineContract;
import dev.baton.testing.store.StoreFactory;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The engine's promise contract on a real SQLite file (WAL, synchronous=FULL) in a fresh temp folder. */
class SqliteEngineContractTest extends EngineContract {

  @TempDir Path dir;

  @Override
  protected StoreFactory stores() {
    return JdbcStores.sqlite(dir);
  }
}
