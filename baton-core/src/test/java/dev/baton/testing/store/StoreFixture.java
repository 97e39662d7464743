package dev.baton.testing.store;

import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of a store's contract test (STYLE 6): it names the store's {@link StoreFactory} and implements the
 * parts of the contract that apply to it, e.g.
 *
 * <pre>{@code
 * class SqliteStoreContractTest extends StoreFixture
 *     implements JournalContract, CommitContract, OutboxContract, IdempotencyContract, LeaseContract {
 *   @TempDir Path dir;
 *   protected StoreFactory stores() { return JdbcStores.sqlite(dir); }
 * }
 * }</pre>
 *
 * <p><b>Overview.</b> Before each case a fresh store is opened on {@link #scheduler()} (a manual clock); after
 * it, every store the case opened is closed.
 *
 * <p><b>Concurrency.</b> The fixture is used by the test's thread only; cases hand {@link #store()} to threads
 * of their own, which the store must allow.
 */
public abstract class StoreFixture implements StoreCases {

  private final ManualScheduler scheduler = new ManualScheduler();
  private final List<Store> extra = new ArrayList<>();
  private StoreFactory factory;
  private Store store;

  /** The store under test; called once per case, before it. */
  protected abstract StoreFactory stores();

  @BeforeEach
  final void openStore() throws Exception {
    factory = stores();
    store = factory.open(scheduler);
  }

  @AfterEach
  final void closeStores() {
    for (Store s : extra) s.close();
    store.close();
  }

  @Override
  public final Store store() {
    return store;
  }

  @Override
  public final ManualScheduler scheduler() {
    return scheduler;
  }

  @Override
  public final Optional<Store> openAnother(ManualScheduler on) throws Exception {
    return factory.openAnother(on);
  }

  @Override
  public final Store track(Store s) {
    extra.add(s);
    return s;
  }

  @Override
  public final void reopen() throws Exception {
    store.close();
    store = factory.openAnother(scheduler).orElseThrow();
  }
}
