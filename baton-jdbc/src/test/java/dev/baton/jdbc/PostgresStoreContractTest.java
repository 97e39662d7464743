package dev.baton.jdbc;

import dev.baton.testing.store.AnchorContract;
import dev.baton.testing.store.CommitContract;
import dev.baton.testing.store.IdempotencyContract;
import dev.baton.testing.store.JournalContract;
import dev.baton.testing.store.LeaseContract;
import dev.baton.testing.store.OutboxContract;
import dev.baton.testing.store.StoreFactory;
import dev.baton.testing.store.StoreFixture;

/**
 * Every part of the store contract against a real PostgreSQL (the one embedded server, fsync on), a fresh
 * schema per test.
 */
class PostgresStoreContractTest extends StoreFixture
    implements JournalContract, CommitContract, OutboxContract, IdempotencyContract, LeaseContract,
    AnchorContract {

  @Override
  protected StoreFactory stores() {
    return JdbcStores.postgres();
  }
}
