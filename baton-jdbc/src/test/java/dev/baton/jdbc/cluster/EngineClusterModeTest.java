package dev.baton.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.Turn;
import dev.baton.config.BatonConfig;
import dev.baton.config.ClusterConfig;
import dev.baton.config.StorageConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.SqliteStore;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's cluster mode, with two engine nodes in one JVM on one SQLite store. Each node has its own
 * manual clock, and the store (whose clock decides lease expiry) a third: a node whose clock is not advanced
 * neither polls nor renews, which is how a dead or paused node looks to the others. The same protocol over
 * real processes and PostgreSQL is {@code EngineClusterTest}.
 */
class EngineClusterModeTest {

  private static final long TTL_MS = 3_000;
  private static final long POLL_MS = 100;

  @TempDir Path dir;

  private final ManualScheduler storeClock = new ManualScheduler();
  private Store shared;
  private final List<Node> nodes = new ArrayList<>();

  /** One engine node: its clock, its view of the store, and the replies its handler was given. */
  private record Node(String name, ManualScheduler clock, RecordingStore store, Baton baton,
      LinkedBlockingQueue<String> replies) {

    Admission send(String user, String id) {
      return baton.submit(InboundMessage.of("api", id, user, id, Instant.EPOCH));
    }
  }

  @BeforeEach
  void open() {
    shared = SqliteStore.open(StorageConfig.sqlite(dir.resolve("baton.db").toString()), Duration.ofDays(1),
        storeClock);
  }

  @AfterEach
  void close() {
    for (Node n : nodes) n.baton.close();
    shared.close();
  }

  private Node node(String name, @Nullable CountDownLatch blockOn, boolean markDelivered) {
    return node(name, blockOn, null, markDelivered);
  }

  /**
   * A node with the echo agent. If {@code block} is given, a turn of a message with text "block" signals
   * {@code entered} and waits for {@code block} first.
   */
  private Node node(String name, @Nullable CountDownLatch block, @Nullable CountDownLatch entered,
      boolean markDelivered) {
    ManualScheduler clock = new ManualScheduler();
    RecordingStore store = new RecordingStore(shared);
    LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
    BatonConfig config = BatonConfig.defaults()
        .withStorage(StorageConfig.sqlite(dir.resolve("baton.db").toString()).withLeaseTtlMs(TTL_MS))
        .withCluster(ClusterConfig.node(name).withPollIntervalMs(POLL_MS));
    EchoAgent echo = new EchoAgent();
    Baton baton = Baton.builder().config(config).store(store).scheduler(clock).agent(turn -> {
      for (Turn.Message m : turn.messages()) {
        if (block != null && m.text().equals("block")) {
          if (entered != null) entered.countDown();
          block.await();
        }
      }
      echo.onTurn(turn);
    }).replies(r -> {
      if (markDelivered) shared.markDelivered(r.session(), r.outboxSeq());
      replies.add(r.inReplyTo() + " " + r.turn().orElse(-1));
    }).build();
    Node n = new Node(name, clock, store, baton, replies);
    nodes.add(n);
    return n;
  }

  /** Time passes for the store and the given nodes (the others are frozen: dead or paused). */
  private void advance(Duration d, Node... alive) {
    storeClock.advance(d);
    for (Node n : alive) n.clock.advance(d);
  }

  /**
   * Advances the store and {@code alive} one poll interval at a time until {@code q} has an event (polls run
   * on their own threads, so each step waits briefly for what it triggered).
   *
   * @return the event, and how much time passed, as "event @ms"
   */
  private String stepUntil(LinkedBlockingQueue<String> q, Node... alive) throws InterruptedException {
    long passed = 0;
    for (int i = 0; i < 600; i++) {
      advance(Duration.ofMillis(POLL_MS), alive);
      passed += POLL_MS;
      String s = q.poll(50, TimeUnit.MILLISECONDS);
      if (s != null) return s + " @" + passed;
    }
    throw new AssertionError("no event after " + passed + " ms of cluster time");
  }

  private static String next(LinkedBlockingQueue<String> q) throws InterruptedException {
    String s = q.poll(30, TimeUnit.SECONDS);
    assertThat(s).as("an event within 30 s").isNotNull();
    return s;
  }

  private long turns(String user) {
    String n = shared.loadSession(new SessionKey("api:u:" + user)).state().get(EchoAgent.TURNS_KEY);
    return n == null ? 0 : Long.parseLong(n);
  }

  @Test
  void aMessageAcceptedByAnotherNodeRunsOnTheOwnerOnceAndInOrder() throws Exception {
    Node a = node("a", null, true);
    Node b = node("b", null, true);
    assertThat(a.send("ann", "m1")).isInstanceOf(Admission.Accepted.class);
    assertThat(next(a.replies)).isEqualTo("m1 1");
    // B cannot take ann's lease (A holds it): it journals m2 and leaves it to A.
    assertThat(b.send("ann", "m2")).isInstanceOf(Admission.Accepted.class);
    assertThat(b.send("ann", "m2")).as("P2 across nodes").isInstanceOf(Admission.Duplicate.class);
    assertThat(a.send("ann", "m2")).as("P2 across nodes").isInstanceOf(Admission.Duplicate.class);
    // m3 reaches A before A polled: A first admits the older m2 it found in the journal (P9).
    assertThat(a.send("ann", "m3")).isInstanceOf(Admission.Accepted.class);
    assertThat(next(a.replies)).isEqualTo("m2 2");
    assertThat(next(a.replies)).isEqualTo("m3 3");
    // A later poll does not run them again.
    advance(Duration.ofMillis(POLL_MS * 3), a, b);
    assertThat(b.send("ann", "m4")).isInstanceOf(Admission.Accepted.class);
    assertThat(stepUntil(a.replies, a)).startsWith("m4 4 @"); // B frozen: only A may poll
    advance(Duration.ofMillis(POLL_MS * 3), a, b);
    assertThat(b.replies).isEmpty();
    assertThat(a.replies).isEmpty();
    assertThat(turns("ann")).isEqualTo(4);
  }

  @Test
  void aMessageThePollAdmitsBetweenItsJournalInsertAndItsSubmitRunsOnce() throws Exception {
    Node a = node("a", null, true);
    assertThat(a.send("eve", "m1")).isInstanceOf(Admission.Accepted.class);
    assertThat(next(a.replies)).isEqualTo("m1 1"); // a holds eve's lease
    // Right after m2 is journaled, and before its submit goes on, a's poll finds it and admits it.
    a.store.afterIngest = e -> {
      if (!e.message().messageId().equals("m2")) return;
      a.clock.advance(Duration.ofMillis(POLL_MS));
      try {
        assertThat(next(a.replies)).isEqualTo("m2 2"); // the poll's admission ran it
        // Two more polls: the second forgets m2 (finished before it began) from the node's in-flight set,
        // so only the journal can tell the submit that m2 is done.
        CountDownLatch twoPolls = new CountDownLatch(2);
        a.store.afterClaimable = rows -> twoPolls.countDown();
        while (!twoPolls.await(20, TimeUnit.MILLISECONDS)) a.clock.advance(Duration.ofMillis(POLL_MS));
        a.store.afterClaimable = rows -> {};
      } catch (InterruptedException ex) {
        throw new AssertionError(ex);
      }
    };
    assertThat(a.send("eve", "m2")).isInstanceOf(Admission.Accepted.class);
    assertThat(a.send("eve", "m3")).isInstanceOf(Admission.Accepted.class);
    assertThat(next(a.replies)).as("m2 was not run a second time by its submit").isEqualTo("m3 3");
    assertThat(turns("eve")).isEqualTo(3);
  }

  @Test
  void aDeadOwnersSessionIsTakenOverAfterOneLeasePeriodAndItsLateCommitIsRefused() throws Exception {
    CountDownLatch block = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    Node a = node("a", block, entered, true);
    Node b = node("b", null, true);
    assertThat(a.send("bob", "block")).isInstanceOf(Admission.Accepted.class);
    entered.await();
    // A hangs inside the turn and stops renewing (its clock stands still). B takes the session over once
    // A's lease has lapsed (not before: a live owner keeps it), within a lease period and a poll.
    String taken = stepUntil(b.replies, b);
    assertThat(taken).as("B runs the message A never finished").startsWith("block 1 @");
    long after = Long.parseLong(taken.substring(taken.indexOf('@') + 1));
    assertThat(after).isBetween(TTL_MS, TTL_MS + 2 * POLL_MS);
    // A wakes up and commits under its old token: refused, nothing written, nothing delivered.
    block.countDown();
    assertThat(next(a.store.events)).isEqualTo("FENCED api:u:bob 1");
    assertThat(turns("bob")).isEqualTo(1);
    // The refusal made A forget the session: a new message reaching A is journaled and left to B.
    assertThat(a.send("bob", "after")).isInstanceOf(Admission.Accepted.class);
    assertThat(stepUntil(b.replies, b)).startsWith("after 2 @");
    assertThat(a.replies).isEmpty();
    assertThat(turns("bob")).isEqualTo(2);
  }

  @Test
  void aTakeoverRunsOnlyWhatIsStillUnfinishedAfterTheAcquireNotWhatThePollReadBefore() throws Exception {
    CountDownLatch block = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    Node a = node("a", block, entered, true);
    Node b = node("b", null, true);
    assertThat(a.send("fay", "block")).isInstanceOf(Admission.Accepted.class);
    entered.await();
    // A's lease lapses (its clock stands still). B's poll reads the message as claimable; right then A wakes
    // up and commits it (its token is still the current one: nobody took the session yet).
    CountDownLatch read = new CountDownLatch(1);
    b.store.afterClaimable = rows -> {
      if (rows.stream().noneMatch(r -> r.entry().message().messageId().equals("block"))) return;
      b.store.afterClaimable = r -> {};
      block.countDown();
      try {
        assertThat(next(a.replies)).isEqualTo("block 1");
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      read.countDown();
    };
    while (!read.await(20, TimeUnit.MILLISECONDS)) advance(Duration.ofMillis(POLL_MS), b);
    // B now takes the session over (its poll goes on after the read) and runs what B is sent next. It must
    // not run "block" again from what it read before the acquire: the next reply of B is "next", turn 2.
    assertThat(b.send("fay", "next")).isInstanceOf(Admission.Accepted.class);
    assertThat(stepUntil(b.replies, b)).startsWith("next 2 @");
    assertThat(turns("fay")).isEqualTo(2);
  }

  @Test
  void repliesADeadOwnerCommittedButNeverDeliveredAreDeliveredByTheNewOwner() throws Exception {
    Node a = node("a", null, false); // "crashes" after committing, before marking its reply delivered
    Node b = node("b", null, true);
    assertThat(a.send("cat", "x")).isInstanceOf(Admission.Accepted.class);
    assertThat(next(a.replies)).isEqualTo("x 1");
    assertThat(shared.undeliveredReplies()).hasSize(1);
    String delivered = stepUntil(b.replies, b);
    assertThat(delivered).startsWith("x 1 @");
    assertThat(shared.undeliveredReplies()).isEmpty();
    assertThat(turns("cat")).isEqualTo(1);
  }

  @Test
  void anIdleSessionsLeaseIsGivenBackSoAnotherNodeTakesItAtOnce() throws Exception {
    Node a = node("a", null, true);
    Node b = node("b", null, true);
    assertThat(a.send("dan", "x")).isInstanceOf(Admission.Accepted.class);
    assertThat(next(a.replies)).isEqualTo("x 1");
    assertThat(stepUntil(a.store.events, a)).startsWith("RELEASE api:u:dan @");
    assertThat(shared.leases().orElseThrow().current(new SessionKey("api:u:dan"))).isEmpty();
    // No lease period to wait for: B takes it on its next message.
    assertThat(b.send("dan", "y")).isInstanceOf(Admission.Accepted.class);
    assertThat(next(b.replies)).isEqualTo("y 2");
  }

  @Test
  void usersSendingToRandomNodesAreEachAnsweredOnceInTheOrderTheySent() throws Exception {
    Node a = node("a", null, true);
    Node b = node("b", null, true);
    int users = 12;
    int perUser = 8;
    Map<String, String> failures = new ConcurrentHashMap<>();
    List<Thread> senders = new ArrayList<>();
    for (int u = 0; u < users; u++) {
      String user = "u" + u;
      senders.add(Thread.ofVirtual().start(() -> {
        for (int i = 0; i < perUser; i++) {
          Node first = ThreadLocalRandom.current().nextBoolean() ? a : b;
          Node retry = first == a ? b : a;
          String id = user + "-" + i;
          // Each message waits for its acknowledgement before the next is sent, as a platform does.
          if (!(first.send(user, id) instanceof Admission.Accepted)) failures.put(id, "not accepted");
          if (!(retry.send(user, id) instanceof Admission.Duplicate)) failures.put(id, "retry not a duplicate");
        }
      }));
    }
    for (Thread t : senders) t.join();
    assertThat(failures).isEmpty();
    // Drive both nodes' polls until every message is answered.
    List<String> answered = new ArrayList<>();
    LinkedBlockingQueue<String> all = new LinkedBlockingQueue<>();
    while (answered.size() < users * perUser) {
      advance(Duration.ofMillis(POLL_MS), a, b);
      a.replies.drainTo(all);
      b.replies.drainTo(all);
      String r = all.poll(200, TimeUnit.MILLISECONDS);
      if (r != null) answered.add(r);
      all.drainTo(answered);
    }
    advance(Duration.ofMillis(POLL_MS * 5), a, b);
    a.replies.drainTo(answered);
    b.replies.drainTo(answered);
    assertThat(answered).as("each message answered once across the cluster").doesNotHaveDuplicates()
        .hasSize(users * perUser);
    Map<String, Long> turnOf = new HashMap<>();
    for (String r : answered) turnOf.put(r.split(" ")[0], Long.parseLong(r.split(" ")[1]));
    for (int u = 0; u < users; u++) {
      for (int i = 0; i < perUser; i++) {
        assertThat(turnOf).as("P9: u%d-%d is its session's turn %d", u, i, i + 1).containsEntry("u" + u + "-" + i,
            (long) i + 1);
      }
      assertThat(turns("u" + u)).isEqualTo(perUser);
    }
    assertThat(shared.unfinished()).isEmpty();
  }
}
