package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.ReplyStream;
import dev.baton.SessionKey;
import dev.baton.Turn;
import dev.baton.config.ConcurrencyConfig.QueueMode;
import dev.baton.internal.store.MemoryStore;
import dev.baton.spi.MessageStatus;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.ReplyLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** P10 in the engine: reply streams, cancel, stop commands and steer (the hand-off is model-checked in SteerLincheckTest). */
class LiveTurnsTest {

  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  final ManualScheduler clock = new ManualScheduler();
  final LiveLog log = new LiveLog();
  final MemoryStore store = new MemoryStore();
  final Semaphore entered = new Semaphore(0);
  final CountDownLatch gate = new CountDownLatch(1);
  final List<List<String>> turns = new CopyOnWriteArrayList<>();
  volatile Agent script = t -> t.reply("ok");

  /** Records live events and replies in one list, in the order the engine handed them over. */
  static final class LiveLog extends ReplyLog {
    final List<Object> order = new CopyOnWriteArrayList<>();

    @Override
    public void onLive(LiveEvent event) {
      order.add(event);
    }

    @Override
    public void onReply(Reply r) {
      order.add(r);
      super.onReply(r);
    }

    List<LiveEvent.Delta> deltas() {
      List<LiveEvent.Delta> out = new ArrayList<>();
      for (Object o : order) if (o instanceof LiveEvent.Delta d) out.add(d);
      return out;
    }

    List<LiveEvent.Status> statuses(LiveEvent.State state) {
      List<LiveEvent.Status> out = new ArrayList<>();
      for (Object o : order) if (o instanceof LiveEvent.Status s && s.state() == state) out.add(s);
      return out;
    }
  }

  Baton start(Cfg cfg) {
    Agent recording = t -> {
      List<String> ids = new ArrayList<>();
      for (Turn.Message m : t.messages()) ids.add(m.id());
      turns.add(ids);
      entered.release();
      script.onTurn(t);
    };
    return Baton.builder().config(cfg.build()).scheduler(clock).agent(recording).store(store).replies(log)
        .meterRegistry(new SimpleMeterRegistry()).build();
  }

  static InboundMessage msg(String id, String text) {
    return InboundMessage.of("api", id, "ann", text, T0);
  }

  static final SessionKey ANN = SessionKey.user("api", "ann");

  void awaitEntered(int n) throws InterruptedException {
    assertThat(entered.tryAcquire(n, ReplyLog.WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("turn started").isTrue();
  }

  // ------------------------------------------------------------------ streams

  @Test
  void deltasBuildTheFinalReplyAndAllComeBeforeIt() throws Exception {
    script = t -> {
      ReplyStream s = t.openStream();
      s.append("Hel");
      s.append("");
      s.append("lo, ");
      s.append("Ann");
      s.finish();
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      Reply r = log.await(1).getFirst();
      assertThat(r.text()).isEqualTo("Hello, Ann");
      assertThat(r.streamId()).isEqualTo("m1#1");
      assertThat(r.kind()).isEqualTo(Reply.Kind.REPLY);
      List<LiveEvent.Delta> ds = log.deltas();
      assertThat(ds).extracting(LiveEvent.Delta::text).containsExactly("Hel", "lo, ", "Ann"); // empty: no event
      assertThat(ds).extracting(LiveEvent.Delta::offset).containsExactly(0L, 3L, 7L);
      assertThat(ds).allSatisfy(d -> {
        assertThat(d.streamId()).isEqualTo("m1#1");
        assertThat(d.inReplyTo()).isEqualTo("m1");
        assertThat(d.session()).isEqualTo(ANN);
      });
      assertThat(log.order.getFirst()).isInstanceOfSatisfying(LiveEvent.Status.class,
          s -> assertThat(s.state()).isEqualTo(LiveEvent.State.RUNNING));
      assertThat(log.order.getLast()).isSameAs(r); // every delta was handed over before the reply
      // only the final text is journaled
      assertThat(store.undeliveredReplies()).extracting(Reply::text).containsExactly("Hello, Ann");
    }
  }

  @Test
  void aStreamCannotBeUsedAfterFinishOrAfterTheTurn() throws Exception {
    AtomicReference<ReplyStream> kept = new AtomicReference<>();
    AtomicReference<Throwable> second = new AtomicReference<>();
    script = t -> {
      ReplyStream s = t.openStream();
      kept.set(s);
      s.append("a");
      s.finish();
      try {
        s.append("b");
      } catch (IllegalStateException e) {
        second.set(e);
      }
      t.openStream().finish(); // a second stream of the same turn: its own id, an empty reply
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      List<Reply> rs = log.await(2);
      assertThat(rs).extracting(Reply::streamId).containsExactly("m1#1", "m1#2");
      assertThat(second.get()).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> kept.get().append("late")).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void theReRunOfATurnAfterARestartStreamsUnderTheSameId() throws Exception {
    CountDownLatch firstRun = new CountDownLatch(1);
    script = t -> {
      ReplyStream s = t.openStream();
      s.append("half");
      if (firstRun.getCount() > 0) {
        firstRun.countDown();
        gate.await(); // the process goes down mid-stream
      }
      s.append(" and the rest");
      s.finish();
    };
    Baton first = start(new Cfg());
    first.submit(msg("m1", "hi"));
    firstRun.await();
    Thread down = Thread.ofVirtual().start(() -> { // the turn is cancelled at the deadline, nothing committed
      try {
        first.shutdown(java.time.Duration.ofSeconds(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    assertThat(clock.awaitTaskDue(java.time.Duration.ofSeconds(1), ReplyLog.WAIT)).isTrue();
    clock.advance(java.time.Duration.ofSeconds(1));
    down.join();
    assertThat(log.all()).isEmpty();
    assertThat(log.deltas()).extracting(LiveEvent.Delta::streamId).containsExactly("m1#1");

    try (Baton second = start(new Cfg())) { // same store: recovery re-runs m1
      Reply r = log.await(1).getFirst();
      assertThat(r.text()).isEqualTo("half and the rest");
      assertThat(r.streamId()).isEqualTo("m1#1"); // the id a channel anchored its preview under
      assertThat(log.deltas()).extracting(LiveEvent.Delta::streamId).containsOnly("m1#1");
    }
  }

  // ------------------------------------------------------------------ cancel

  @Test
  void cancelInterruptsTheTurnAndCompletesItsMessageWithWhatItStreamed() throws Exception {
    AtomicReference<ReplyStream> stream = new AtomicReference<>();
    script = t -> {
      t.state().put("k", "staged");
      ReplyStream s = t.openStream();
      stream.set(s);
      s.append("partial ");
      s.append("answer");
      gate.await(); // interrupted by the cancel
      s.finish();
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      awaitEntered(1);
      while (log.deltas().size() < 2) Thread.onSpinWait();
      assertThat(baton.cancel(ANN, false)).isEqualTo(new Baton.Cancelled(1, 0));
      Reply r = log.await(1).getFirst();
      assertThat(r.kind()).isEqualTo(Reply.Kind.CANCELLED);
      assertThat(r.text()).isEqualTo("partial answer");
      assertThat(r.streamId()).isEqualTo("m1#1");
      assertThat(log.statuses(LiveEvent.State.CANCELLED)).extracting(LiveEvent.Status::inReplyTo)
          .containsExactly("m1");
      assertThat(store.status(msgKey(baton, "m1"))).contains(MessageStatus.DONE);
      assertThat(store.loadSession(ANN).state()).doesNotContainKey("k"); // a turn happened or it did not
      assertThatThrownBy(() -> stream.get().append("more")).isInstanceOf(CancellationException.class);
      assertThat(baton.cancel(ANN, false)).isEqualTo(new Baton.Cancelled(0, 0)); // nothing runs any more
    }
  }

  @Test
  void cancelWithoutAStreamRepliesWithANoticeAndDropQueuedCompletesTheQueueSilently() throws Exception {
    script = t -> {
      if (t.messages().getFirst().id().equals("m1")) gate.await();
      t.reply("answered " + t.messages().getFirst().id());
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      awaitEntered(1);
      baton.submit(msg("m2", "b"));
      baton.submit(msg("m3", "c"));
      assertThat(baton.cancel(ANN, true)).isEqualTo(new Baton.Cancelled(1, 2));
      Reply r = log.await(1).getFirst();
      assertThat(r.kind()).isEqualTo(Reply.Kind.CANCELLED);
      assertThat(r.text()).isEqualTo(TurnRun.CANCELLED_TEXT);
      Replies.awaitRetired((Engine) baton);
      assertThat(log.all()).hasSize(1);
      assertThat(turns).hasSize(1);
      assertThat(store.status(msgKey(baton, "m2"))).contains(MessageStatus.DROPPED);
      assertThat(store.status(msgKey(baton, "m3"))).contains(MessageStatus.DROPPED);
    }
  }

  @Test
  void aStopCommandCancelsTheRunningTurnStartsNoneAndItsRedeliveryCancelsNothing() throws Exception {
    script = t -> {
      if (t.messages().getFirst().id().equals("m1")) gate.await();
      t.reply("answered " + t.messages().getLast().id());
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      awaitEntered(1);
      baton.submit(msg("m2", "later"));
      assertThat(baton.submit(msg("s1", "  /stop "))).isInstanceOf(Admission.Accepted.class);
      List<Reply> rs = log.await(2);
      assertThat(rs.get(0).kind()).isEqualTo(Reply.Kind.CANCELLED);
      assertThat(rs.get(1).text()).isEqualTo("answered m2"); // the queued message stays and runs
      Replies.awaitRetired((Engine) baton);
      assertThat(turns).containsExactly(List.of("m1"), List.of("m2")); // "/stop" is no turn
      assertThat(store.status(msgKey(baton, "s1"))).contains(MessageStatus.DONE);

      script = t -> {
        gate.await();
        t.reply("x");
      };
      baton.submit(msg("m4", "next"));
      awaitEntered(1);
      assertThat(baton.submit(msg("s1", "/stop"))).isInstanceOf(Admission.Duplicate.class);
      assertThat(((Engine) baton).actors.get(ANN).runningTurns()).hasSize(1); // the redelivery stopped nothing
      assertThat(baton.cancel(ANN, false).turns()).isEqualTo(1);
      log.await(3);
    }
  }

  @Test
  void aStopCommandIsNeverBusyInQueueModeReject() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.REJECT;
    script = t -> {
      gate.await();
      t.reply("x");
    };
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "hi"));
      awaitEntered(1);
      assertThat(baton.submit(msg("m2", "busy?"))).isInstanceOf(Admission.Busy.class);
      assertThat(baton.submit(msg("s1", "/stop"))).isInstanceOf(Admission.Accepted.class);
      assertThat(log.await(2)).extracting(Reply::kind).contains(Reply.Kind.CANCELLED);
    }
  }

  @Test
  void aStopCommandReleasedByTheGapTimerStartsNoTurn() throws Exception {
    Cfg cfg = new Cfg();
    cfg.gapMs = 2_000;
    try (Baton baton = start(cfg)) {
      baton.submit(msg("s0", "hello").withOrder(dev.baton.OrderKey.sequence(0)));
      log.await(1);
      // seq 1 never comes; the stop (seq 2) waits in the reorder buffer until the gap timer skips the gap
      assertThat(baton.submit(msg("s2", "/stop").withOrder(dev.baton.OrderKey.sequence(2))))
          .isInstanceOf(Admission.Accepted.class);
      assertThat(clock.awaitTaskDue(java.time.Duration.ofMillis(2_000), ReplyLog.WAIT)).isTrue();
      clock.advance(java.time.Duration.ofMillis(2_000));
      Replies.awaitRetired((Engine) baton);
      assertThat(turns).containsExactly(List.of("s0")); // "/stop" reached no agent
      assertThat(store.status(msgKey(baton, "s2"))).contains(MessageStatus.DONE);
    }
  }

  @Test
  void aTelegramStyleCommandWithTheBotsNameIsAStopToo() throws Exception {
    script = t -> {
      gate.await();
      t.reply("x");
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      awaitEntered(1);
      baton.submit(msg("s1", "/stop@BatonBot"));
      assertThat(log.await(1).getFirst().kind()).isEqualTo(Reply.Kind.CANCELLED);
      assertThat(((Engine) baton).isStop(new QueuedMessage(new dev.baton.spi.JournalEntry(msgKey(baton, "x"), ANN,
          msg("x", "/stop me now"), T0), 0))).isFalse(); // a sentence that starts with it is a message
    }
  }

  @Test
  void aCancelKeepsTheRepliesTheTurnFinishedAndNamesTheStreamItLeftHalfShown() throws Exception {
    script = t -> {
      ReplyStream first = t.openStream();
      first.append("First answer.");
      first.finish();
      t.openStream(); // opened, nothing shown yet
      ReplyStream third = t.openStream();
      third.append("half of the se");
      gate.await();
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      awaitEntered(1);
      while (log.deltas().size() < 2) Thread.onSpinWait();
      baton.cancel(ANN, false);
      List<Reply> rs = log.await(2);
      assertThat(rs).extracting(Reply::kind).containsExactly(Reply.Kind.REPLY, Reply.Kind.CANCELLED);
      assertThat(rs).extracting(Reply::streamId).containsExactly("m1#1", "m1#3");
      assertThat(rs.get(1).text()).isEqualTo("half of the se");
    }
  }

  @Test
  void anErrorAfterPartOfAStreamNamesThatStreamSoItsPreviewBecomesTheErrorText() throws Exception {
    script = t -> {
      t.openStream().append("I was say");
      throw new IllegalStateException("model died");
    };
    try (Baton baton = start(new Cfg())) {
      baton.submit(msg("m1", "hi"));
      Reply r = log.await(1).getFirst();
      assertThat(r.kind()).isEqualTo(Reply.Kind.ERROR);
      assertThat(r.streamId()).isEqualTo("m1#1");
      assertThat(r.text()).isEqualTo(TurnRun.ERROR_TEXT);
    }
  }

  // ------------------------------------------------------------------ steer

  @Test
  void steeredMessagesJoinTheRunningTurnAndItsReplyCoversThem() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.STEER;
    AtomicReference<List<Turn.Message>> took = new AtomicReference<>();
    AtomicReference<List<Turn.Message>> seen = new AtomicReference<>();
    script = t -> {
      if (t.messages().getFirst().id().equals("m1")) {
        gate.await();
        took.set(t.takeSteered());
        seen.set(t.messages());
        assertThat(t.takeSteered()).isEmpty();
      }
      t.reply("answered " + t.messages().size());
    };
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "a"));
      awaitEntered(1);
      baton.submit(msg("m2", "b"));
      baton.submit(msg("m3", "c"));
      gate.countDown();
      Reply r = log.await(1).getFirst();
      assertThat(took.get()).extracting(Turn.Message::id).containsExactly("m2", "m3");
      assertThat(seen.get()).extracting(Turn.Message::id).containsExactly("m1", "m2", "m3");
      assertThat(r.inReplyTo()).isEqualTo("m3");
      assertThat(r.covers()).containsExactly("m1", "m2", "m3");
      assertThat(r.text()).isEqualTo("answered 3");
      assertThat(log.statuses(LiveEvent.State.STEERED)).extracting(LiveEvent.Status::inReplyTo)
          .containsExactly("m2", "m3");
      Replies.awaitRetired((Engine) baton);
      assertThat(turns).hasSize(1);
      for (String id : List.of("m1", "m2", "m3")) assertThat(store.status(msgKey(baton, id))).contains(MessageStatus.DONE);
    }
  }

  @Test
  void aSteeredMessageTheTurnDidNotTakeBecomesTheNextTurn() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.STEER;
    CountDownLatch tookOnce = new CountDownLatch(1);
    CountDownLatch late = new CountDownLatch(1);
    script = t -> {
      if (t.messages().getFirst().id().equals("m1")) {
        gate.await();
        t.takeSteered();
        tookOnce.countDown();
        late.await(); // m3 arrives now: after the last take, before the end
      }
      t.reply("covers " + t.messages().size());
    };
    try (Baton baton = start(cfg)) {
      baton.submit(msg("m1", "a"));
      awaitEntered(1);
      baton.submit(msg("m2", "b"));
      gate.countDown();
      tookOnce.await();
      baton.submit(msg("m3", "c"));
      late.countDown();
      List<Reply> rs = log.await(2);
      assertThat(rs.get(0).covers()).containsExactly("m1", "m2");
      assertThat(rs.get(1).covers()).containsExactly("m3");
      assertThat(turns).containsExactly(List.of("m1"), List.of("m3"));
    }
  }

  @Test
  void underRealConcurrencyEveryMessageIsInExactlyOneTurnInOrder() throws Exception {
    Cfg cfg = new Cfg();
    cfg.mode = QueueMode.STEER;
    cfg.maxQueue = 1000; // nothing is refused: every message must be answered by a turn
    script = t -> {
      for (int i = 0; i < 3; i++) {
        t.takeSteered();
        Thread.yield();
      }
      t.reply("n=" + t.messages().size());
    };
    int n = 400;
    try (Baton baton = start(cfg)) {
      Thread sender = Thread.ofPlatform().start(() -> {
        for (int i = 1; i <= n; i++) baton.submit(msg(String.format("m%04d", i), "x"));
      });
      sender.join();
      List<String> covered = new ArrayList<>();
      long deadline = System.nanoTime() + ReplyLog.WAIT.toNanos();
      while (covered.size() < n && System.nanoTime() < deadline) {
        covered.clear();
        for (Reply r : log.all()) covered.addAll(r.covers());
        Thread.yield();
      }
      List<String> expected = new ArrayList<>();
      for (int i = 1; i <= n; i++) expected.add(String.format("m%04d", i));
      assertThat(covered).containsExactlyElementsOf(expected); // each once (P2), in order (P9)
      List<String> started = new ArrayList<>();
      for (List<String> t : turns) started.add(t.getFirst());
      assertThat(log.all()).allSatisfy(r -> assertThat(r.kind()).isEqualTo(Reply.Kind.REPLY));
      assertThat(log.all()).extracting(r -> r.covers().getFirst()).containsExactlyElementsOf(started);
      log.assertOrderly();
    }
  }

  private static dev.baton.DedupKey msgKey(Baton baton, String id) {
    return dev.baton.DedupKey.of(msg(id, "x"), baton.config().dedup().fingerprintBucketMs());
  }
}
