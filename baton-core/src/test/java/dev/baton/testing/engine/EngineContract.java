package dev.baton.testing.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.Transcript;
import dev.baton.config.BatonConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.SessionData;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import dev.baton.testing.GateAgent;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.ReplyLog;
import dev.baton.testing.TestThreads;
import dev.baton.testing.store.PagedOnlyStore;
import dev.baton.testing.store.StoreFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine's promises (DESIGN P1-P4, P9, P11) as a contract over a {@link Store}: each case builds a real
 * engine through the public {@link Baton#builder()} on the store under test and a {@link ManualScheduler}, and
 * checks a promise from outside, through {@link Admission}s, the replies and what the store then holds. The
 * memory store runs it in baton-core, sqlite and postgres in baton-jdbc: a promise that holds only because the
 * memory store happens to behave a certain way fails there.
 *
 * <p><b>Overview.</b> A store's test class subclasses this (often as a {@code @Nested} class) and names its
 * {@link StoreFactory}. Before each case a fresh store is opened; after it the engines and the store are
 * closed. The engine-level details of each promise (metrics, texts, queue modes) stay in the memory-only
 * engine tests; these cases are the part of each promise a store takes part in.
 *
 * <p><b>Concurrency.</b> Concurrent cases use real threads ({@link TestThreads#together}, barriers inside the
 * agent); waits for replies are bounded by {@link ReplyLog#WAIT}; time moves only by {@link #clock}.
 *
 * <p><b>Failure.</b> A case that fails leaves the {@link #agent}'s gate open on teardown, so no turn is left
 * blocked for {@code close()} to wait on.
 */
public abstract class EngineContract {

  protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  protected final ManualScheduler clock = new ManualScheduler();
  protected final ReplyLog replies = new ReplyLog();
  protected final GateAgent agent = new GateAgent();
  protected Store store;
  private final List<Baton> engines = new ArrayList<>();

  /** The store under test; called once per case, before it. */
  protected abstract StoreFactory stores();

  @BeforeEach
  final void openStore() throws Exception {
    store = stores().open(clock);
  }

  @AfterEach
  final void closeAll() {
    agent.open();
    for (Baton b : engines.reversed()) b.close();
    store.close();
  }

  /** An engine on the store under test with {@code config}, the test clock and {@code agent}. */
  protected Baton start(BatonConfig config, Agent turnAgent) {
    return start(config, turnAgent, store, replies);
  }

  private Baton start(BatonConfig config, Agent turnAgent, Store on, ReplyHandler to) {
    Baton b = Baton.builder().config(config).scheduler(clock).store(on).agent(turnAgent).replies(to).build();
    engines.add(b);
    return b;
  }

  /** Closes {@code b} now (a process that ends); its store stays open. */
  private void stop(Baton b) {
    engines.remove(b);
    b.close();
  }

  /** The default config with the given concurrency limits and timeouts (everything else as shipped). */
  protected static BatonConfig limits(int perSession, int total, int maxQueue, long queueTimeoutMs,
      long turnTimeoutMs) {
    BatonConfig d = BatonConfig.defaults();
    ConcurrencyConfig c = d.agent().concurrency();
    ConcurrencyConfig mine = new ConcurrencyConfig(perSession, total, maxQueue, queueTimeoutMs, c.overflowAction(),
        c.busyMessage(), ConcurrencyConfig.QueueMode.FOLLOWUP, 0, c.maxQueuedTotal());
    return d.withAgent(d.agent().withConcurrency(mine).withTurnTimeoutMs(turnTimeoutMs));
  }

  protected static BatonConfig defaults() {
    return limits(1, 50, 100, 30_000, 120_000);
  }

  protected static InboundMessage msg(String id, String user, String text) {
    return InboundMessage.of("api", id, user, text, T0);
  }

  protected static SessionKey session(String user) {
    return new SessionKey("api:u:" + user);
  }

  /**
   * The journal status of {@code key} as the store reports it (a redelivery answers with it), or empty if the
   * store holds no entry; probing an absent key leaves none behind.
   */
  protected Optional<MessageStatus> journalStatus(DedupKey key) {
    JournalEntry probe = new JournalEntry(key, session("probe"), msg("probe", "probe", "probe"), clock.now());
    IngestResult r = store.ingest(probe);
    if (r instanceof IngestResult.Existing e) return Optional.of(e.status());
    if (r instanceof IngestResult.Inserted) {
      store.release(key);
      return Optional.empty();
    }
    throw new AssertionError("the store refused the probe: " + r);
  }

  // ---------------------------------------------------------------- P10: live turns

  @Test
  void aSteeredStreamedReplyAndACancelledTurnAreJournaledWithTheirStreamAndCoversAcrossARestart() throws Exception {
    BatonConfig base = defaults();
    ConcurrencyConfig c = base.agent().concurrency();
    BatonConfig cfg = base.withAgent(base.agent().withConcurrency(new ConcurrencyConfig(1, 50, 100, 30_000,
        c.overflowAction(), c.busyMessage(), ConcurrencyConfig.QueueMode.STEER, 0, c.maxQueuedTotal())));
    java.util.concurrent.CountDownLatch steerNow = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch hold = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch annStarted = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch bobShown = new java.util.concurrent.CountDownLatch(1);
    ReplyLog none = new ReplyLog(); // marks nothing delivered: the outbox keeps every reply for the restart
    Baton first = start(cfg, turn -> {
      if (turn.messages().getFirst().text().equals("hold")) {
        turn.openStream().append("half");
        bobShown.countDown();
        hold.await(); // cancelled
        return;
      }
      dev.baton.ReplyStream out = turn.openStream();
      out.append("one ");
      annStarted.countDown();
      steerNow.await();
      turn.takeSteered();
      out.append("two");
      out.finish();
    }, store, none);
    first.submit(msg("a1", "ann", "start"));
    assertThat(annStarted.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    first.submit(msg("a2", "ann", "more")); // queued while a1's turn runs: steered into it
    steerNow.countDown();
    first.submit(msg("b1", "bob", "hold"));
    assertThat(bobShown.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(first.cancel(session("bob"), false).turns()).isEqualTo(1);
    none.await(2);
    stop(first);

    ReplyLog again = new ReplyLog();
    start(cfg, turn -> turn.reply("never"), store, again); // recovery re-offers the undelivered replies
    List<Reply> rs = again.await(2);
    Reply ann = rs.stream().filter(r -> r.session().equals(session("ann"))).findFirst().orElseThrow();
    Reply bob = rs.stream().filter(r -> r.session().equals(session("bob"))).findFirst().orElseThrow();
    assertThat(ann.text()).isEqualTo("one two");
    assertThat(ann.streamId()).isEqualTo("a1#1");
    assertThat(ann.covers()).containsExactly("a1", "a2");
    assertThat(ann.inReplyTo()).isEqualTo("a2");
    assertThat(bob.kind()).isEqualTo(Reply.Kind.CANCELLED);
    assertThat(bob.text()).isEqualTo("half");
    assertThat(bob.streamId()).isEqualTo("b1#1");
    assertThat(journalStatus(DedupKey.of(msg("a2", "ann", "more"), cfg.dedup().fingerprintBucketMs())))
        .contains(MessageStatus.DONE);
  }

  // ---------------------------------------------------------------- P2: dedup

  @Test
  void concurrentDuplicateDeliveriesAreAdmittedOnceAndRunOnce() throws Exception {
    Baton baton = start(defaults(), agent);
    List<Admission> got = TestThreads.together(8, t -> () -> baton.submit(msg("4711", "ann", "hello")));
    assertThat(got).filteredOn(a -> a instanceof Admission.Accepted).hasSize(1);
    assertThat(got).filteredOn(a -> a instanceof Admission.Duplicate).hasSize(7);
    assertThat(replies.await(1)).extracting(Reply::text).containsExactly("hello (turn 1)");
    // A redelivery after the turn committed is a duplicate too: the journal, not the mailbox, remembers it.
    assertThat(baton.submit(msg("4711", "ann", "hello"))).isInstanceOf(Admission.Duplicate.class);
    baton.submit(msg("4712", "ann", "next"));
    assertThat(replies.await(2)).extracting(Reply::text).containsExactly("hello (turn 1)", "next (turn 2)");
    assertThat(agent.turns).containsExactly(List.of("hello"), List.of("next"));
    assertThat(journalStatus(got.getFirst().key())).contains(MessageStatus.DONE);
  }

  @Test
  void oneClientIdFromTwoSendersIsTwoMessages() throws Exception {
    Baton baton = start(defaults(), agent);
    assertThat(baton.submit(msg("m-77", "mallory", "first"))).isInstanceOf(Admission.Accepted.class);
    assertThat(baton.submit(msg("m-77", "bob", "mine"))).isInstanceOf(Admission.Accepted.class);
    assertThat(replies.await(2)).extracting(Reply::text).containsExactlyInAnyOrder("first (turn 1)", "mine (turn 1)");
  }

  // ---------------------------------------------------------------- P9: per-session order

  @Test
  void outOfOrderSequenceNumbersRunInSequenceOrder() throws Exception {
    Baton baton = start(defaults(), agent);
    for (long n : new long[] {2, 1, 0}) {
      baton.submit(msg("s" + n, "ann", "m" + n).withOrder(OrderKey.sequence(n)));
    }
    assertThat(replies.await(3)).extracting(Reply::text).containsExactly("m0 (turn 1)", "m1 (turn 2)", "m2 (turn 3)");
    replies.assertOrderly();
  }

  /**
   * The order watermark and the agent's state live in the session's committed state: after a restart on the
   * same store a message past a gap still waits for it, and the turn count goes on.
   */
  @Test
  void theOrderWatermarkAndTheSessionsStateSurviveARestart() throws Exception {
    BatonConfig cfg = defaults();
    Baton first = start(cfg, agent);
    first.submit(msg("s0", "ann", "m0").withOrder(OrderKey.sequence(0)));
    first.submit(msg("s1", "ann", "m1").withOrder(OrderKey.sequence(1)));
    replies.await(2);
    stop(first);

    ReplyLog again = new ReplyLog();
    Baton second = start(cfg, agent, store, again);
    assertThat(again.await(2)).as("recovery delivers what nobody marked delivered").extracting(Reply::text)
        .containsExactly("m0 (turn 1)", "m1 (turn 2)");
    assertThat(second.submit(msg("s1", "ann", "m1").withOrder(OrderKey.sequence(1))))
        .as("the journal remembers across the restart").isInstanceOf(Admission.Duplicate.class);
    second.submit(msg("s3", "ann", "m3").withOrder(OrderKey.sequence(3)));
    clock.advance(Duration.ofMillis(cfg.ordering().gapTimeoutMs() - 1));
    assertThat(again.all()).as("seq 3 waits for seq 2").hasSize(2);
    second.submit(msg("s2", "ann", "m2").withOrder(OrderKey.sequence(2)));
    assertThat(again.await(4)).extracting(Reply::text).endsWith("m2 (turn 3)", "m3 (turn 4)");
    again.assertOrderly();
  }

  @Test
  void eachSessionsTurnsAndRepliesKeepArrivalOrderUnderConcurrentSessions() throws Exception {
    int sessions = 4;
    int each = 15;
    Baton baton = start(limits(1, 3, 100, 30_000, 120_000), agent);
    TestThreads.together(sessions, t -> () -> {
      for (int i = 0; i < each; i++) baton.submit(msg("u" + t + "-" + i, "u" + t, "x" + i));
      return null;
    });
    replies.await(sessions * each);
    for (int t = 0; t < sessions; t++) {
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < each; i++) expected.add("x" + i + " (turn " + (i + 1) + ")");
      assertThat(replies.of(session("u" + t))).extracting(Reply::text).as("u" + t).isEqualTo(expected);
    }
    replies.assertOrderly();
    for (int t = 0; t < sessions; t++) { // nobody marked them delivered: the outbox holds them, numbered in order
      assertThat(store.undeliveredReplies(session("u" + t))).extracting(Reply::outboxSeq).as("u" + t)
          .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, each).boxed().toList());
    }
  }

  // ---------------------------------------------------------------- P4: bounded waits

  @Test
  void aQueuedMessageExpiresExactlyAtItsQueueTimeoutAndIsJournaledExpired() throws Exception {
    Baton baton = start(limits(1, 50, 100, 1_000, 120_000), agent);
    baton.submit(msg("m1", "ann", "wait here"));
    agent.awaitEntered(1);
    clock.advance(Duration.ofMillis(400)); // time before m2 arrives does not count
    Admission a2 = baton.submit(msg("m2", "ann", "second"));
    clock.advance(Duration.ofMillis(999));
    assertThat(baton.snapshot().queuedMessages()).isEqualTo(1);
    clock.advance(Duration.ofMillis(1));
    assertThat(baton.snapshot().queuedMessages()).isZero();
    Reply expired = replies.await(1).getFirst();
    assertThat(expired.kind()).isEqualTo(Reply.Kind.ERROR);
    assertThat(expired.inReplyTo()).isEqualTo("m2");
    assertThat(journalStatus(a2.key())).contains(MessageStatus.EXPIRED);
    agent.open();
    assertThat(replies.await(2).get(1).text()).isEqualTo("wait here (turn 1)");
    assertThat(agent.turns).containsExactly(List.of("wait here")); // m2 never ran
  }

  @Test
  void aTurnPastItsTimeoutIsCutJournaledFailedAndTheSessionGoesOn() throws Exception {
    Baton baton = start(limits(1, 50, 100, 30_000, 5_000), agent);
    Admission a1 = baton.submit(msg("m1", "ann", "wait forever"));
    agent.awaitEntered(1);
    baton.submit(msg("m2", "ann", "next"));
    clock.advance(Duration.ofMillis(4_999));
    assertThat(agent.interrupted.get()).isZero();
    clock.advance(Duration.ofMillis(1));
    List<Reply> got = replies.await(2);
    assertThat(agent.interrupted.get()).isEqualTo(1);
    assertThat(got.get(0).kind()).isEqualTo(Reply.Kind.ERROR);
    assertThat(got.get(0).inReplyTo()).isEqualTo("m1");
    // The cut turn committed nothing, so the next turn is the session's first completed one.
    assertThat(got.get(1).text()).isEqualTo("next (turn 1)");
    assertThat(journalStatus(a1.key())).contains(MessageStatus.FAILED);
  }

  // ---------------------------------------------------------------- P1: isolation

  @Test
  void interleavedTurnsOfTwoSessionsSeeAndCommitOnlyTheirOwnState() throws Exception {
    CyclicBarrier together = new CyclicBarrier(2);
    Map<String, List<String>> seen = new ConcurrentHashMap<>();
    Baton baton = start(defaults(), turn -> {
      String me = turn.messages().getFirst().sender();
      for (int round = 0; round < 3; round++) { // both turns inside the agent at once, every step interleaved
        together.await(ReplyLog.WAIT.toSeconds(), TimeUnit.SECONDS);
        seen.computeIfAbsent(me, k -> new ArrayList<>()).add(String.join(",", new java.util.TreeSet<>(turn.state().keys()))
            + "|" + turn.transcript().entries().size());
        turn.state().put("owner", me);
        turn.state().put("secret." + me, "mine-" + round);
        turn.transcript().append(Transcript.Role.USER, me + " says " + round);
        together.await(ReplyLog.WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      turn.reply("done " + me);
    });
    baton.submit(msg("a1", "alice", "x"));
    baton.submit(msg("b1", "bob", "y"));
    assertThat(replies.await(2)).extracting(Reply::text).containsExactlyInAnyOrder("done alice", "done bob");
    for (String me : List.of("alice", "bob")) {
      assertThat(seen.get(me)).as(me).containsExactly("|0", "owner,secret." + me + "|1", "owner,secret." + me + "|2");
      SessionData data = store.loadSession(session(me));
      String other = me.equals("alice") ? "bob" : "alice";
      assertThat(data.state()).as(me).containsEntry("owner", me).containsEntry("secret." + me, "mine-2")
          .doesNotContainKey("secret." + other);
      assertThat(data.transcript()).extracting(Transcript.Entry::text).as(me).isNotEmpty()
          .allMatch(t -> t.startsWith(me + " "));
    }
  }

  // ---------------------------------------------------------------- P3: caps and fairness

  @Test
  void theCapsAreReachedAndNeverExceeded() throws Exception {
    int cap = 3;
    int sessions = 9;
    int each = 4;
    AtomicInteger running = new AtomicInteger();
    AtomicInteger peak = new AtomicInteger();
    Map<SessionKey, AtomicInteger> per = new ConcurrentHashMap<>();
    AtomicInteger peakPer = new AtomicInteger();
    AtomicInteger first = new AtomicInteger();
    CyclicBarrier full = new CyclicBarrier(cap);
    Baton baton = start(limits(1, cap, 100, 30_000, 120_000), turn -> {
      SessionKey s = turn.context().session();
      peak.accumulateAndGet(running.incrementAndGet(), Math::max);
      peakPer.accumulateAndGet(per.computeIfAbsent(s, k -> new AtomicInteger()).incrementAndGet(), Math::max);
      try {
        // The first `cap` turns meet at a barrier: proof that the cap is reached, not only respected.
        if (first.incrementAndGet() <= cap) full.await(ReplyLog.WAIT.toSeconds(), TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) Thread.yield();
        turn.reply("ok");
      } finally {
        per.get(s).decrementAndGet();
        running.decrementAndGet();
      }
    });
    TestThreads.together(3, t -> () -> {
      for (int i = 0; i < each; i++) {
        for (int u = t; u < sessions; u += 3) {
          Admission a = baton.submit(msg("u" + u + "-" + i, "u" + u, "x"));
          if (!(a instanceof Admission.Accepted)) throw new AssertionError(a.toString());
        }
      }
      return null;
    });
    replies.await(sessions * each);
    assertThat(peak.get()).isEqualTo(cap);
    assertThat(peakPer.get()).isEqualTo(1);
    replies.assertOrderly();
  }

  @Test
  void aSessionWithAManyQueuedDoesNotDelayASessionWithOne() throws Exception {
    int heavy = 60;
    Baton baton = start(limits(1, 1, 1_000, 30_000, 120_000), agent); // one permit shared by everybody
    baton.submit(msg("h0", "heavy", "wait"));
    agent.awaitEntered(1);
    for (int i = 1; i <= heavy; i++) baton.submit(msg("h" + i, "heavy", "h" + i));
    baton.submit(msg("l1", "light", "light one"));
    agent.open();
    List<Reply> got = replies.await(heavy + 2);
    int lightAt = 0;
    while (!got.get(lightAt).text().startsWith("light one")) lightAt++;
    // Round-robin: after the blocked heavy turn, at most one more heavy turn (its ticket was in line first).
    assertThat(lightAt).isLessThanOrEqualTo(2);
  }

  // ---------------------------------------------------------------- P11: bounds

  @Test
  void pastMaxQueuedTotalAMessageIsRefusedBusyAndNothingIsStored() throws Exception {
    BatonConfig base = limits(1, 1, 100, 30_000, 120_000);
    BatonConfig cfg = base.withAgent(base.agent().withConcurrency(base.agent().concurrency().withMaxQueuedTotal(2)));
    Baton baton = start(cfg, agent);
    baton.submit(msg("w", "runner", "wait")); // holds the only permit
    agent.awaitEntered(1);
    assertThat(baton.submit(msg("q0", "user0", "hi"))).isInstanceOf(Admission.Accepted.class);
    assertThat(baton.submit(msg("q1", "user1", "hi"))).isInstanceOf(Admission.Accepted.class);
    Admission over = baton.submit(msg("q2", "user2", "hi"));
    assertThat(over).isInstanceOf(Admission.Busy.class);
    assertThat(journalStatus(over.key())).as("nothing journaled: a retry is admitted").isEmpty();
    assertThat(store.stats().undeliveredReplies()).as("no busy reply committed").isZero();
    agent.open();
    replies.await(3);
    assertThat(baton.submit(msg("q2", "user2", "again"))).isInstanceOf(Admission.Accepted.class);
    assertThat(replies.await(4).getLast().text()).isEqualTo("again (turn 1)");
  }

  /**
   * Recovery reads the outbox and the journal a page at a time (the store refuses the whole-list reads here),
   * delivers what a previous process left undelivered and runs each session's unfinished messages in order.
   */
  @Test
  void recoveryPagesThroughABacklogAndKeepsEachSessionsOrder() throws Exception {
    int sessions = 12;
    for (long seq : new long[] {3, 1, 2}) {
      for (int s = 0; s < sessions; s++) {
        String user = "u" + s;
        InboundMessage m = msg(user + "-" + seq, user, "s" + seq).withOrder(OrderKey.sequence(seq));
        store.ingest(new JournalEntry(new DedupKey("api:" + user + ":" + m.messageId()), session(user), m, T0));
      }
    }
    for (int s = 0; s < sessions; s++) {
      SessionKey k = session("old" + s);
      List<Reply> rs = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        rs.add(new Reply(k, 0, "api", "", "old" + i, Reply.Kind.REPLY, "old " + i, OptionalLong.empty(), Map.of()));
      }
      store.commitTurn(new TurnCommit(k, List.of(), MessageStatus.DONE, Map.of(), Map.of(), List.of(), rs, 0));
    }
    AtomicInteger largestPage = new AtomicInteger();
    Store pagedOnly = PagedOnlyStore.wrap(store, largestPage);
    start(defaults(), agent, pagedOnly, replies);
    List<Reply> got = replies.await(sessions * 5);
    assertThat(largestPage.get()).as("recovery read pages").isPositive();
    assertThat(got.stream().filter(r -> r.inReplyTo().startsWith("old"))).hasSize(sessions * 2);
    for (int s = 0; s < sessions; s++) {
      assertThat(replies.of(session("u" + s))).extracting(Reply::text).as("u" + s)
          .containsExactly("s1 (turn 1)", "s2 (turn 2)", "s3 (turn 3)");
    }
    replies.assertOrderly();
  }
}
