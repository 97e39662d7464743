package dev.baton.testing.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.TestThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The outbox SPI of {@link Store}: consecutive {@code outboxSeq}s per session under concurrent commits,
 * {@code undeliveredReplies} and its pages, {@code markDelivered}, the per-session outbox bound (P11), and the
 * P10 fields of a reply ({@code streamId}, {@code covers}) through every read.
 *
 * <p>Part of the store contract (STYLE 6), split by SPI; every store runs each part that applies to it, see
 * {@link StoreCases}. Concurrency cases use real threads released together ({@link TestThreads#together});
 * every thread is joined and a failure in any of them fails the test.
 */
public interface OutboxContract extends StoreCases {

  @Test
  default void concurrentCommitsGetConsecutiveOutboxSeqsPerSession() throws Exception {
    int threads = 6;
    int commitsPerThread = 25;
    List<SessionKey> sessions = List.of(new SessionKey("api:u:a"), new SessionKey("api:u:b"));
    TestThreads.together(threads, t -> () -> {
      SessionKey s = sessions.get(t % 2);
      for (int i = 0; i < commitsPerThread; i++) {
        List<Reply> got = store().commitTurn(TurnCommit.finishOnly(s, List.of(), MessageStatus.DONE,
            List.of(reply(s, t + "/" + i + "/a", i), reply(s, t + "/" + i + "/b", i))));
        assertThat(got.get(1).outboxSeq()).isEqualTo(got.get(0).outboxSeq() + 1);
      }
      return null;
    });
    List<Reply> undelivered = store().undeliveredReplies();
    for (SessionKey s : sessions) {
      List<Long> seqs = undelivered.stream().filter(r -> r.session().equals(s)).map(Reply::outboxSeq).toList();
      List<Long> expected = new ArrayList<>();
      for (long i = 1; i <= (long) threads / 2 * commitsPerThread * 2; i++) expected.add(i);
      assertThat(seqs).as("outbox of " + s).isEqualTo(expected);
      assertThat(store().loadSession(s).lastOutboxSeq()).isEqualTo(expected.size());
    }
  }

  @Test
  default void deliveredRepliesAreNotOfferedAgain() {
    SessionKey a = new SessionKey("api:u:a");
    SessionKey b = new SessionKey("api:u:b");
    store().commitTurn(TurnCommit.finishOnly(a, List.of(), MessageStatus.DONE, List.of(reply(a, "a1", 1), reply(a, "a2", 1))));
    store().commitTurn(TurnCommit.finishOnly(b, List.of(), MessageStatus.DONE, List.of(reply(b, "b1", 1))));
    store().commitTurn(TurnCommit.finishOnly(a, List.of(), MessageStatus.DONE, List.of(reply(a, "a3", 2))));
    assertThat(texts(store().undeliveredReplies(), a)).containsExactly("a1", "a2", "a3");
    store().markDelivered(a, 1);
    store().markDelivered(b, 1);
    store().markDelivered(b, 99); // unknown: ignored
    assertThat(store().undeliveredReplies()).extracting(Reply::text).containsExactly("a2", "a3");
    assertThat(store().stats().undeliveredReplies()).isEqualTo(2);
    assertThat(store().loadSession(a).lastOutboxSeq()).isEqualTo(3);
    // Delivered replies do not give their seq back.
    store().markDelivered(a, 2);
    store().markDelivered(a, 3);
    assertThat(store().commitTurn(TurnCommit.finishOnly(a, List.of(), MessageStatus.DONE, List.of(reply(a, "a4", 3))))
        .get(0).outboxSeq()).isEqualTo(4);
  }

  @Test
  default void pagingTheOutboxVisitsEveryUndeliveredReplyOnceInSessionThenOutboxOrder() {
    List<SessionKey> sessions = List.of(new SessionKey("api:u:carol"), new SessionKey("api:u:alice"),
        new SessionKey("api:u:bob"));
    for (int i = 0; i < 7; i++) {
      for (SessionKey s : sessions) {
        store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(),
            List.of(reply(s, s.value() + "#" + (i + 1), i + 1)), 0));
      }
    }
    store().markDelivered(sessions.get(1), 3);
    List<Reply> seen = new ArrayList<>();
    Reply after = null;
    int pages = 0;
    while (true) {
      List<Reply> page = store().undeliveredRepliesPage(after, 4);
      assertThat(page.size()).isLessThanOrEqualTo(4);
      if (page.isEmpty()) break;
      if (pages++ == 1) store().markDelivered(sessions.get(2), 7); // delivered during the walk, not yet visited
      seen.addAll(page);
      after = page.getLast();
    }
    assertThat(seen).hasSize(19).doesNotHaveDuplicates();
    assertThat(seen).extracting(Reply::text).doesNotContain("api:u:alice#3", "api:u:bob#7");
    // Grouped by session; within a session in outbox order.
    List<SessionKey> order = new ArrayList<>();
    for (Reply r : seen) if (order.isEmpty() || !order.getLast().equals(r.session())) order.add(r.session());
    assertThat(order).hasSize(3).containsExactlyInAnyOrderElementsOf(sessions);
    for (SessionKey s : sessions) {
      assertThat(seen.stream().filter(r -> r.session().equals(s)).map(Reply::outboxSeq).toList()).isSorted();
    }
  }

  @Test
  default void aCommitPastMaxOutboxPerSessionDropsTheOldestUndeliveredReplies() {
    SessionKey s = new SessionKey("api:u:neverreads");
    SessionKey other = new SessionKey("api:u:other");
    int max = dev.baton.config.StorageConfig.DEFAULT_MAX_OUTBOX_PER_SESSION;
    store().commitTurn(new TurnCommit(other, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(),
        List.of(reply(other, "keep", 1)), 0));
    List<Reply> first = new ArrayList<>();
    for (int i = 0; i < max - 1; i++) first.add(reply(s, "r" + (i + 1), 1));
    store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(), first, 0));
    store().markDelivered(s, 2); // a delivered one leaves a hole; the bound is by position
    assertThat(store().undeliveredReplies(s)).hasSize(max - 2);
    List<Reply> more = List.of(reply(s, "r" + max, 2), reply(s, "r" + (max + 1), 2), reply(s, "r" + (max + 2), 2));
    store().commitTurn(new TurnCommit(s, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(), more, 0));
    List<Reply> kept = store().undeliveredReplies(s);
    assertThat(kept).hasSize(max); // positions 3..max+2: 1 was dropped, 2 had been delivered
    assertThat(kept.getFirst().outboxSeq()).isEqualTo(3);
    assertThat(kept.getLast().text()).isEqualTo("r" + (max + 2));
    assertThat(store().undeliveredReplies(other)).extracting(Reply::text).containsExactly("keep");
  }

  @Test
  default void streamIdAndCoversComeBackFromEveryRead() throws Exception {
    SessionKey s = new SessionKey("api:u:streams");
    SessionKey t = new SessionKey("api:u:plain");
    // Ids with the characters an encoding could trip on: commas, percent signs, spaces, non-ASCII.
    Reply steered = streamed(s, "answer to three", "m1#1", List.of("m1", "m,2", "m%3 ü"));
    Reply cancelled = new Reply(s, 0, "api", s.value(), "m4", Reply.Kind.CANCELLED, "half", OptionalLong.of(2),
        Map.of("thread", "t1"), "m4#2", List.of("m4"));
    Reply plain = reply(t, "plain", 1);
    List<Reply> stored = store().commitTurn(TurnCommit.finishOnly(s, List.of(), MessageStatus.DONE,
        List.of(steered, cancelled)));
    store().commitTurn(TurnCommit.finishOnly(t, List.of(), MessageStatus.DONE, List.of(plain)));
    List<Reply> expected = List.of(steered.withOutboxSeq(1), cancelled.withOutboxSeq(2));
    assertThat(stored).isEqualTo(expected);
    assertThat(store().undeliveredReplies(s)).isEqualTo(expected);
    assertThat(store().undeliveredReplies()).filteredOn(r -> r.session().equals(s)).isEqualTo(expected);
    Reply plainBack = store().undeliveredReplies(t).getFirst();
    assertThat(plainBack.streamId()).isEmpty();
    assertThat(plainBack.covers()).containsExactly(plain.inReplyTo());
    List<Reply> paged = new ArrayList<>();
    Reply after = null;
    for (List<Reply> page; !(page = store().undeliveredRepliesPage(after, 1)).isEmpty(); after = page.getLast()) {
      paged.addAll(page);
    }
    assertThat(paged).filteredOn(r -> r.session().equals(s)).isEqualTo(expected);
    assertThat(paged).filteredOn(r -> r.session().equals(t)).containsExactly(plainBack);
    Optional<Store> probe = openAnother(scheduler());
    if (probe.isPresent()) {
      probe.get().close();
      reopen();
      assertThat(store().undeliveredReplies(s)).as("after a reopen").isEqualTo(expected);
    }
  }
}
