package dev.baton.testing.store;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What every part of the store contract sees: the store under test, its clock, and the helpers that build
 * journal entries and replies. The parts are interfaces with default {@code @Test} methods, one per SPI
 * ({@link JournalContract}, {@link CommitContract}, {@link OutboxContract}, {@link IdempotencyContract},
 * {@link LeaseContract}, {@link AnchorContract}); a store's test class extends {@link StoreFixture} and implements the parts that
 * apply to it.
 */
public interface StoreCases {

  /** The store under test, fresh and empty at the start of each case. */
  Store store();

  /** The manual clock the store's time comes from. */
  ManualScheduler scheduler();

  /** Another instance on the same data (a restart or a second node), or empty for a store of one instance. */
  Optional<Store> openAnother(ManualScheduler scheduler) throws Exception;

  /** Closes {@code s} after the case; returns it. */
  Store track(Store s);

  /** A restart: closes {@link #store()} and makes another instance on the same data the store under test. */
  void reopen() throws Exception;

  default JournalEntry entry(String user, String id, String text) {
    return entryAt(user, id, scheduler().now(), text);
  }

  default JournalEntry entryAt(String user, String id, Instant receivedAt) {
    return entryAt(user, id, receivedAt, "text of " + id);
  }

  default JournalEntry entryAt(String user, String id, Instant receivedAt, String text) {
    InboundMessage m = InboundMessage.of("api", id, user, text, receivedAt);
    return new JournalEntry(new DedupKey("api:" + id), new SessionKey("api:u:" + user), m, receivedAt);
  }

  default Reply reply(SessionKey s, String text, long turn) {
    return new Reply(s, 0, "api", s.value(), "m" + turn, Reply.Kind.REPLY, text, OptionalLong.of(turn),
        Map.of("route", "r" + turn));
  }

  default Reply withSeq(Reply r, long seq) {
    return r.withOutboxSeq(seq);
  }

  /** A reply written through stream {@code streamId} that answers {@code covers} (the last is its inReplyTo). */
  default Reply streamed(SessionKey s, String text, String streamId, List<String> covers) {
    return new Reply(s, 0, "api", s.value(), covers.getLast(), Reply.Kind.REPLY, text, OptionalLong.empty(),
        Map.of(), streamId, covers);
  }

  default List<String> texts(List<Reply> replies, SessionKey s) {
    return replies.stream().filter(r -> r.session().equals(s)).map(Reply::text).toList();
  }
}
