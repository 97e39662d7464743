package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.IdSource;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ClusterReplies without HTTP: a reply produced on this node while a poll is between its store read and its
 * wait is never missed (the poll registers before it reads), close() answers waiting polls, and bad cursors.
 * The manual clock never moves here, so only a local wake can end a poll: a lost wake is a hang (a failure).
 */
class ClusterRepliesRaceTest {

  static final long TIMEOUT_S = 10;
  final ManualScheduler clock = new ManualScheduler();
  final MemoryStore store = new MemoryStore();
  final ClusterReplies replies =
      new ClusterReplies(store, clock, IdSource.USER_ID, Duration.ofMillis(200), new SimpleMeterRegistry());

  Reply produce(String user) {
    SessionKey s = new SessionKey("api:u:" + user);
    Reply r = new Reply(s, 0, "api", user, "m", Reply.Kind.REPLY, "for " + user, OptionalLong.empty(),
        Map.of("user", user));
    Reply stored = store.commitTurn(TurnCommit.finishOnly(s, List.of(), MessageStatus.DONE, List.of(r))).getFirst();
    replies.append(user, stored);
    return stored;
  }

  @Test
  void aReplyProducedConcurrentlyWithAPollIsNeverMissed() throws Exception {
    try {
      for (int i = 0; i < 300; i++) {
        String user = "u" + i;
        CyclicBarrier start = new CyclicBarrier(2);
        CompletableFuture<ReplyInbox.Page> polled = new CompletableFuture<>();
        CompletableFuture<Void> produced = new CompletableFuture<>();
        Thread poller = Thread.ofVirtual().start(() -> {
          try {
            start.await(TIMEOUT_S, TimeUnit.SECONDS);
            polled.complete(replies.poll(user, "", "", Duration.ofSeconds(30)));
          } catch (Throwable t) {
            polled.completeExceptionally(t);
          }
        });
        Thread producer = Thread.ofPlatform().start(() -> {
          try {
            start.await(TIMEOUT_S, TimeUnit.SECONDS);
            produce(user);
            produced.complete(null);
          } catch (Throwable t) {
            produced.completeExceptionally(t);
          }
        });
        produced.get(TIMEOUT_S, TimeUnit.SECONDS);
        ReplyInbox.Page page = polled.get(TIMEOUT_S, TimeUnit.SECONDS);
        poller.join();
        producer.join();
        assertThat(page.entries()).as("round %d", i).extracting(e -> e.reply().text()).containsExactly("for " + user);
      }
      assertThat(replies.waitingSessions()).isZero();
    } finally {
      replies.close(); // on a failure, free a poll that would otherwise wait for the never-advanced clock
    }
  }

  @Test
  void closeAnswersWaitingPollsAndLaterPollsDoNotWait() throws Exception {
    int base = clock.pending();
    CompletableFuture<ReplyInbox.Page> polled = CompletableFuture.supplyAsync(
        () -> replies.poll("alice", "", "", Duration.ofSeconds(30)));
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
    while (clock.pending() < base + 2 && System.nanoTime() < until) Thread.onSpinWait();
    assertThat(clock.pending()).isEqualTo(base + 2);
    replies.close();
    assertThat(polled.get(TIMEOUT_S, TimeUnit.SECONDS).entries()).isEmpty();
    assertThat(replies.poll("alice", "", "", Duration.ofSeconds(30)).entries()).isEmpty();
    assertThat(clock.pending()).isEqualTo(base);
  }

  @Test
  void theCursorIsTheOutboxPositionUnderAPerSessionTag() {
    produce("alice");
    produce("alice");
    ReplyInbox.Page page = replies.poll("alice", "", "", Duration.ZERO);
    String tag = ClusterReplies.tag("alice", new SessionKey("api:u:alice"));
    assertThat(page.next()).isEqualTo(tag + ".2");
    assertThat(ClusterReplies.parseCursor(tag + ".2", tag)).isEqualTo(2);
    assertThat(ClusterReplies.parseCursor("", tag)).isZero();
    assertThat(ClusterReplies.parseCursor("0123456789ab.9", tag)).as("another session's").isZero();
    assertThat(ClusterReplies.tag("bob", new SessionKey("api:u:alice"))).isNotEqualTo(tag);
    for (String bad : new String[] {"x", "x.", ".1", "x.-1", "x.1.2", "x.y"}) {
      assertThatThrownBy(() -> ClusterReplies.parseCursor(bad, tag)).as(bad).isInstanceOf(HttpError.class)
          .hasMessageContaining("'after'");
    }
  }
}
