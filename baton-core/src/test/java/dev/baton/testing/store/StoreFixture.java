package dev.baton.testing.store;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The base of the store contract (STYLE 6), which is split by SPI: {@link JournalContract},
 * {@link CommitContract}, {@link OutboxContract}, {@link IdempotencyContract} and {@link LeaseContract}. A store's
 * test class runs the parts that apply to it as {@code @Nested} subclasses that name its {@link StoreFactory}:
 *
 * <pre>{@code
 * class SqliteStoreContractTest {
 *   @TempDir Path dir;
 *   @Nested class Journal extends JournalContract { protected StoreFactory stores() { return new Sqlite(dir); } }
 *   ...
 * }
 * }</pre>
 *
 * <p><b>Overview.</b> Before each test a fresh store is opened on the {@link #scheduler} (a manual clock); after
 * it, every store the test opened is closed.
 *
 * <p><b>Concurrency.</b> The fixture itself is used by the test's thread only; the cases hand {@link #store} to
 * threads of their own, which the store must allow.
 */
public abstract class StoreFixture {

  protected final ManualScheduler scheduler = new ManualScheduler();
  protected Store store;
  private StoreFactory factory;
  private final List<Store> extra = new ArrayList<>();

  /** The store under test; called once per test, before it. */
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

  /** Another instance on the same data (a restart or a second node), or empty for a store of one instance. */
  protected Optional<Store> openAnother(ManualScheduler scheduler) throws Exception {
    return factory.openAnother(scheduler);
  }

  /** Closes {@code s} after the test. */
  protected Store track(Store s) {
    extra.add(s);
    return s;
  }

  protected JournalEntry entry(String user, String id, String text) {
    return entryAt(user, id, scheduler.now(), text);
  }

  protected JournalEntry entryAt(String user, String id, Instant receivedAt) {
    return entryAt(user, id, receivedAt, "text of " + id);
  }

  protected static JournalEntry entryAt(String user, String id, Instant receivedAt, String text) {
    InboundMessage m = InboundMessage.of("api", id, user, text, receivedAt);
    return new JournalEntry(new DedupKey("api:" + id), new SessionKey("api:u:" + user), m, receivedAt);
  }

  protected static Reply reply(SessionKey s, String text, long turn) {
    return new Reply(s, 0, "api", s.value(), "m" + turn, Reply.Kind.REPLY, text, OptionalLong.of(turn),
        Map.of("route", "r" + turn));
  }

  protected static Reply withSeq(Reply r, long seq) {
    return new Reply(r.session(), seq, r.channel(), r.chat(), r.inReplyTo(), r.kind(), r.text(), r.turn(), r.routing());
  }

  protected static List<String> texts(List<Reply> replies, SessionKey s) {
    return replies.stream().filter(r -> r.session().equals(s)).map(Reply::text).toList();
  }
}
