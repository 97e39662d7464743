package dev.baton.jdbc;

import dev.baton.testing.store.AnchorContract;
import dev.baton.testing.store.CommitContract;
import dev.baton.testing.store.IdempotencyContract;
import dev.baton.testing.store.JournalContract;
import dev.baton.testing.store.LeaseContract;
import dev.baton.testing.store.OutboxContract;
import dev.baton.testing.store.StoreFactory;
import dev.baton.testing.store.StoreFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** Every part of the store contract against a real SQLite file (WAL, synchronous=FULL) in a fresh temp folder. */
class SqliteStoreContractTest extends StoreFixture
    implements JournalContract, CommitContract, OutboxContract, IdempotencyContract, LeaseContract,
    AnchorContract {

  @TempDir Path dir;

  @Override
  protected StoreFactory stores() {
    return JdbcStores.sqlite(dir);
  }
}
