package dev.baton.jdbc.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.SessionKey;
import dev.baton.config.StorageConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.PgServerAccess;
import dev.baton.jdbc.PostgresStore;
import dev.baton.jdbc.crash.NodeProcess;
import dev.baton.spi.SessionData;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.testing.ManualScheduler;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three real Baton engines ({@link EngineClusterNode}, each its own JVM) in cluster mode on one real
 * PostgreSQL (fsync and synchronous_commit on), under load, with one node killed by kill -9 inside a turn and
 * one node whose lease lapses inside a turn. Checked across the cluster, from the nodes' output and from the
 * database itself:
 *
 * <ul>
 *   <li><b>P2</b>: every message is delivered twice, to two different nodes (a platform retry): the first is
 *       accepted, the retry is a duplicate; each message is run by exactly one committed turn (the echo
 *       agent's turn counter and the recorded message ids are exact); replies are printed once each, twice
 *       only across the kill.
 *   <li><b>P3</b>: a probe table that the agents update at the start and end of every turn shows at most
 *       {@code cluster.max_concurrent_total} turns running at once anywhere, at most each node's own
 *       {@code max_concurrent_total} on each node, and never two turns of one session, except the stale
 *       owner's turn that fencing then refused.
 *   <li><b>P9</b>: each user sends its next message only after the previous one was acknowledged, each to a
 *       random node; every session's replies are turns 1..n answering its messages in send order.
 *   <li><b>Fencing</b>: the stale owner's commit is refused ({@code FENCED}), the new owner's stands.
 *   <li><b>Takeover</b>: the killed node's unfinished messages and undelivered replies are handled by others.
 * </ul>
 */
class EngineClusterTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final long TTL_MS = 1500;
  private static final long POLL_MS = 50;
  private static final int USERS = 30;
  private static final int PER_USER = 20;
  /** The stale owner's message: node a holds its turn until its lease lapsed and another node answered it. */
  private static final String HOLD = "z-0";
  private static final String HOLD_NODE = "a";
  /** The message whose turn is running when its node is killed. */
  private static final String PARK = "u7-10";
  private static final String LOST = "LOST";

  @TempDir Path dir;
  /** {@code cluster.max_concurrent_total} of this run; 0 = none. */
  private int clusterMax;

  private final Object changed = new Object();
  private final Map<String, NodeProcess> nodes = new ConcurrentHashMap<>();
  private final List<String> live = new CopyOnWriteArrayList<>();
  private final Set<String> dead = ConcurrentHashMap.newKeySet();
  /** "node id" -> what that node's submit returned for that message. */
  private final Map<String, CompletableFuture<String>> admissions = new ConcurrentHashMap<>();
  /** message id -> results of its deliveries, in order: "first:node:RESULT", "retry:node:RESULT". */
  private final Map<String, List<String>> deliveries = new ConcurrentHashMap<>();
  private final List<ReplyLine> replies = new CopyOnWriteArrayList<>();
  /** "node line" for COMMIT, FENCED and CONFLICT lines. */
  private final List<String> commits = new CopyOnWriteArrayList<>();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final Map<String, String> heldBy = new ConcurrentHashMap<>();
  private final Map<String, String> parkedBy = new ConcurrentHashMap<>();
  private final Set<String> leaseCuts = ConcurrentHashMap.newKeySet();
  /** Every line each node printed, for the report of a failure. */
  private final Map<String, List<String>> stdout = new ConcurrentHashMap<>();

  record ReplyLine(String session, long outboxSeq, long turn, String inReplyTo, String node) {}

  private void onEvent(String node, String line) {
    stdout.computeIfAbsent(node, k -> new CopyOnWriteArrayList<>()).add(line);
    String[] f = line.split(" ");
    switch (f[0]) {
      case "ACK", "DUP", "NACK" -> admissions.computeIfAbsent(node + " " + f[1], k -> new CompletableFuture<>())
          .complete(f[0].equals("NACK") ? line : f[0]);
      case "REPLY" -> replies.add(new ReplyLine(f[1], Long.parseLong(f[2]), Long.parseLong(f[3]), f[4], f[5]));
      case "COMMIT", "FENCED", "CONFLICT" -> commits.add(node + " " + line);
      case "HELD" -> heldBy.put(f[1], node);
      case "PARKED" -> parkedBy.put(f[1], node);
      case "LEASE-CUT" -> leaseCuts.add(f[1]);
      case "PROBE-ERROR" -> problems.add(node + " " + line);
      default -> {}
    }
    synchronized (changed) {
      changed.notifyAll();
    }
  }

  private NodeProcess start(String url, String name) throws Exception {
    NodeProcess p = new NodeProcess(dir, name, EngineClusterNode.class, line -> onEvent(name, line),
        List.of(url, name, Long.toString(TTL_MS), Long.toString(POLL_MS), HOLD, PARK, Integer.toString(clusterMax)));
    nodes.put(name, p);
    return p;
  }

  /**
   * With a cluster-wide cap of 2 (as many as one node's own cap: the nodes must share), and with none (then
   * each node's own cap of 2 is what holds, and turns run on all three nodes at once).
   */
  @ParameterizedTest(name = "cluster.max_concurrent_total = {0}")
  @ValueSource(ints = {2, 0})
  @Disabled("red until (1) PostgresStore offers ClusterPermits (cluster.max_concurrent_total; branch `permits`) and"
      + " (2) the engine no longer admits a message twice when its poll took it before submit did (see the report)")
  void threeEnginesOnePostgresUnderLoadWithKillAndStaleOwner(int clusterMax) throws Exception {
    this.clusterMax = clusterMax;
    try {
      run();
    } catch (Throwable t) {
      dumpNodeLogs();
      throw t;
    }
  }

  /**
   * On failure: what was seen, the last protocol lines of every node and the end of its stderr (engine logs),
   * which the temporary directory would lose.
   */
  private void dumpNodeLogs() throws IOException {
    Set<String> answered = replies.stream().map(ReplyLine::inReplyTo).collect(Collectors.toSet());
    List<String> missing = allIds().stream().filter(id -> !answered.contains(id)).toList();
    System.err.printf("---- %d replies printed, %d messages unanswered %s; commit lines: %d COMMIT, %d FENCED,"
        + " %d CONFLICT; dead: %s%n", replies.size(), missing.size(), missing.subList(0, Math.min(20, missing.size())),
        commits.stream().filter(l -> l.contains(" COMMIT ")).count(), commits.stream().filter(l -> l.contains(" FENCED ")).count(),
        commits.stream().filter(l -> l.contains(" CONFLICT ")).count(), dead);
    commits.stream().filter(l -> !l.contains(" COMMIT ")).limit(20).forEach(System.err::println);
    Path keep = Path.of("target", "engine-cluster");
    Files.createDirectories(keep);
    System.err.println("---- every line of every node: " + keep.toAbsolutePath());
    for (String n : nodes.keySet()) {
      List<String> out = stdout.getOrDefault(n, List.of());
      Files.write(keep.resolve(n + ".stdout"), out);
      if (Files.exists(dir.resolve(n + ".stderr"))) {
        Files.copy(dir.resolve(n + ".stderr"), keep.resolve(n + ".stderr"), StandardCopyOption.REPLACE_EXISTING);
      }
      System.err.println("---- stdout of node " + n + " (last 30 of " + out.size() + " lines)");
      out.subList(Math.max(0, out.size() - 30), out.size()).forEach(System.err::println);
      Path log = dir.resolve(n + ".stderr");
      if (!Files.exists(log)) continue;
      List<String> lines = Files.readAllLines(log);
      System.err.println("---- stderr of node " + n + " (last 60 of " + lines.size() + " lines)");
      lines.subList(Math.max(0, lines.size() - 60), lines.size()).forEach(System.err::println);
    }
  }

  private void run() throws Exception {
    StorageConfig storage = PgServerAccess.freshSchema();
    String url = storage.url();
    // Migrate the fresh schema first: Flyway will not migrate a schema that already holds the probe's tables.
    PostgresStore.open(storage, Duration.ofDays(1), new ManualScheduler()).close();
    TurnProbe.createTables(url);
    long began = System.nanoTime();
    Killed killed;
    try (TurnProbe probe = new TurnProbe(url, 1)) {
      // 1. Stale owner. Node a alone takes z's lease and holds z-0's turn (state staged, not committed), cut off
      //    from renewing its lease. Nodes b and c start; once the lease lapsed one of them takes z over and
      //    answers z-0. Then a's turn returns and its engine commits under the old token: refused.
      start(url, "a").await("READY", WAIT);
      live.add("a");
      assertThat(deliver("a", "z", HOLD)).isEqualTo("ACK");
      awaitState(() -> heldBy.containsKey(HOLD), "a holds " + HOLD);
      start(url, "b");
      start(url, "c");
      nodes.get("b").await("READY", WAIT);
      nodes.get("c").await("READY", WAIT);
      live.addAll(List.of("b", "c"));
      awaitState(() -> replyTo(HOLD).isPresent(), HOLD + " answered by the new owner");
      nodes.get(HOLD_NODE).send("GO");
      awaitState(() -> !commitLines(HOLD_NODE, "api:u:z").isEmpty(), "the stale owner's commit of " + HOLD);

      // 2. Load: users in parallel, each message to a random live node then re-delivered to another one.
      //    Mid-load the node running u7-10 is killed inside that turn.
      List<Throwable> errors = new CopyOnWriteArrayList<>();
      List<Thread> users = new ArrayList<>();
      long seed = System.nanoTime();
      System.out.println("EngineClusterTest seed " + seed);
      for (int u = 0; u < USERS; u++) {
        int user = u;
        users.add(Thread.ofVirtual().start(() -> {
          try {
            sendAll(user, new Random(seed + user));
          } catch (Throwable t) {
            errors.add(t);
          }
        }));
      }
      awaitState(() -> parkedBy.containsKey(PARK), "a node running " + PARK);
      killed = kill(parkedBy.get(PARK), probe, url);
      for (Thread t : users) {
        assertThat(t.join(WAIT)).as("user thread finished").isTrue();
      }
      assertThat(errors).as("errors in user threads").isEmpty();
      List<String> all = allIds();
      awaitState(() -> replies.stream().map(ReplyLine::inReplyTo).collect(Collectors.toSet()).containsAll(all),
          "replies to all " + all.size() + " messages");
      for (String n : live) nodes.get(n).quit();
    } finally {
      for (NodeProcess p : nodes.values()) p.close();
    }
    System.out.printf("EngineClusterTest (cluster cap %d): %d messages, 3 nodes, %d ms; lease calls cut: %s; killed %s"
        + " (%s) holding %d sessions with %d unfinished messages and %d undelivered replies%n", clusterMax, allIds().size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began), leaseCuts, killed.node(), killed.owner(),
        killed.sessions().size(), killed.unfinished().size(), killed.undelivered().size());

    assertThat(problems).isEmpty();
    checkCommittedOnce();
    checkStaleOwnerFenced();
    checkOncePerMessage();
    checkRepliesInOrder(killed.node());
    checkProbe(url, killed.node());
    checkStoredOutcome(storage);
    checkTakeover(killed, url);
  }

  // ---- load ------------------------------------------------------------------------------------------------

  private void sendAll(int user, Random random) throws Exception {
    for (int i = 0; i < PER_USER; i++) {
      String id = "u" + user + "-" + i;
      List<String> results = deliveries.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
      String first;
      String result;
      do { // a delivery the killed node never answered is retried elsewhere, as a platform would
        first = pick(random, "");
        result = deliver(first, "u" + user, id);
        results.add("first:" + first + ":" + result);
      } while (result.equals(LOST));
      String retry;
      do {
        retry = pick(random, first);
        result = deliver(retry, "u" + user, id);
        results.add("retry:" + retry + ":" + result);
      } while (result.equals(LOST));
    }
  }

  private String pick(Random random, String not) {
    List<String> choices = new ArrayList<>(live);
    if (choices.size() > 1) choices.remove(not);
    return choices.get(random.nextInt(choices.size()));
  }

  /** Sends one delivery and waits for the node's answer, or {@link #LOST} if the node was killed first. */
  private String deliver(String node, String user, String id) throws Exception {
    CompletableFuture<String> answer = admissions.computeIfAbsent(node + " " + id, k -> new CompletableFuture<>());
    nodes.get(node).send("MSG " + user + " " + id);
    if (dead.contains(node)) answer.complete(LOST); // else the kill completes it (see kill)
    try {
      return answer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no answer from " + node + " to " + id, e);
    }
  }

  record Killed(String node, String owner, Set<String> sessions, Set<String> unfinished, Set<String> undelivered) {}

  /**
   * kill -9 of {@code node}, then, at once, its probe rows are removed. They must go: the process is dead, so
   * its turns no longer run, and once its lease and cluster permits expire other nodes rightly run that
   * session and use those permits; rows of turns that no longer run would then be counted with theirs and
   * report an overlap or an excess that never happened. They must not go earlier (the turn may still run until
   * the process is confirmed dead), and may go at any point before the lease could expire: until then neither
   * the session nor the permits can be taken by another node. Confirmed death and the delete take a few
   * milliseconds of the 1.5 s lease. Then the database is read for what the dead node left behind.
   */
  private Killed kill(String node, TurnProbe probe, String url) throws Exception {
    live.remove(node);
    nodes.get(node).kill(); // returns once the process is gone and its stdout was read to the end
    probe.killed(node);
    dead.add(node);
    admissions.forEach((k, f) -> {
      if (k.startsWith(node + " ")) f.complete(LOST);
    });
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      String owner = queryStrings(c, "SELECT lease_owner FROM sessions WHERE session = ?", "api:u:u7").getFirst();
      Set<String> sessions = Set.copyOf(queryStrings(c, "SELECT session FROM sessions WHERE lease_owner = ?", owner));
      Set<String> unfinished = Set.copyOf(queryStrings(c, "SELECT message_id FROM journal WHERE session IN (SELECT"
          + " session FROM sessions WHERE lease_owner = ?) AND status IN ('RECEIVED', 'QUEUED', 'RUNNING')", owner));
      Set<String> undelivered = Set.copyOf(queryStrings(c, "SELECT in_reply_to FROM outbox WHERE session IN (SELECT"
          + " session FROM sessions WHERE lease_owner = ?)", owner));
      return new Killed(node, owner, sessions, unfinished, undelivered);
    }
  }

  // ---- checks ----------------------------------------------------------------------------------------------

  /** The stale owner's write was refused by fencing, and the new owner's answer is the only one. */
  private void checkStaleOwnerFenced() {
    List<String> staleLines = commitLines(HOLD_NODE, "api:u:z");
    assertThat(heldBy).containsEntry(HOLD, HOLD_NODE);
    assertThat(staleLines).as("the stale owner's only commit of z: refused by fencing").hasSize(1);
    String[] stale = staleLines.getFirst().split(" ");
    assertThat(stale[1]).isEqualTo("FENCED");
    assertThat(stale[5]).isEqualTo(HOLD);
    List<String> winners = commits.stream().filter(l -> l.contains(" COMMIT api:u:z ")).toList();
    assertThat(winners).as("z-0 committed once, by another node, under a newer token").hasSize(1);
    String[] won = winners.getFirst().split(" ");
    assertThat(won[0]).isNotEqualTo(HOLD_NODE);
    assertThat(Long.parseLong(won[3])).isGreaterThan(Long.parseLong(stale[3]));
    assertThat(replies.stream().filter(r -> r.inReplyTo().equals(HOLD)).toList())
        .as("z-0 answered once, as turn 1, by the new owner")
        .containsExactly(new ReplyLine("api:u:z", 1, 1, HOLD, won[0]));
  }

  /**
   * P2 at the store: no message is in two successful commits. (A node prints its COMMIT line after the commit
   * returned, so the killed node may have committed a message without saying so; but then the message was
   * done and no node ran it again. A message is run again only when its first run did not commit.)
   */
  private void checkCommittedOnce() {
    Map<String, List<String>> byMessage = new HashMap<>();
    for (String line : commits) {
      String[] f = line.split(" "); // node COMMIT session token status ids
      if (!f[1].equals("COMMIT")) continue;
      for (String id : f[5].split(",")) byMessage.computeIfAbsent(id, k -> new ArrayList<>()).add(line);
    }
    Map<String, List<String>> twice = new java.util.TreeMap<>(byMessage);
    twice.values().removeIf(lines -> lines.size() == 1);
    assertThat(twice).as("messages in more than one successful commit").isEmpty();
  }

  /** P2: each delivery's admission, across nodes. */
  private void checkOncePerMessage() {
    List<String> ids = allIds();
    assertThat(deliveries.keySet()).containsExactlyInAnyOrderElementsOf(ids.subList(1, ids.size()));
    deliveries.forEach((id, results) -> {
      List<String> answers = results.stream().map(r -> r.substring(r.lastIndexOf(':') + 1)).toList();
      assertThat(answers).as("deliveries of %s: %s", id, results).allMatch(a -> a.equals("ACK") || a.equals("DUP")
          || a.equals(LOST));
      long acks = answers.stream().filter("ACK"::equals).count();
      if (answers.contains(LOST)) {
        // A delivery lost in the kill may have been journaled before the node died: then no node says ACK.
        assertThat(acks).as("accepted deliveries of %s: %s", id, results).isLessThanOrEqualTo(1);
      } else {
        assertThat(acks).as("accepted deliveries of %s: %s", id, results).isEqualTo(1);
      }
      assertThat(results.getLast()).as("the re-delivery of %s to another node", id).startsWith("retry:").endsWith(":DUP");
    });
  }

  /**
   * P9 and P2 as the users see it: each session's replies are outbox 1..n = turn 1..n answering its messages
   * in send order. A reply is printed once, or twice when the killed node printed it and died before marking
   * it delivered (the reply handler prints, then marks): then a live node delivers it again, unchanged.
   */
  private void checkRepliesInOrder(String killedNode) {
    Map<String, List<ReplyLine>> byKey = replies.stream()
        .collect(Collectors.groupingBy(r -> r.session() + " " + r.outboxSeq()));
    for (int u = 0; u < USERS; u++) {
      String session = "api:u:u" + u;
      for (int i = 0; i < PER_USER; i++) {
        List<ReplyLine> printed = byKey.getOrDefault(session + " " + (i + 1), List.of());
        assertThat(printed).as("%s reply %d", session, i + 1).isNotEmpty()
            .allSatisfy(r -> {
              assertThat(r.turn()).as("turn of %s", r).isEqualTo(r.outboxSeq());
              assertThat(r.inReplyTo()).as("message answered by %s", r).isEqualTo(r.session().substring("api:u:".length()) + "-" + (r.outboxSeq() - 1));
            });
        List<String> by = printed.stream().map(ReplyLine::node).toList();
        assertThat(by).as("nodes that printed %s", printed).doesNotHaveDuplicates();
        assertThat(by.stream().filter(n -> !n.equals(killedNode)).count()).as("printed by live nodes: %s", printed)
            .isLessThanOrEqualTo(1);
      }
    }
    assertThat(byKey.keySet()).as("no reply beyond each session's messages")
        .hasSize(USERS * PER_USER + 1);
  }

  /**
   * P3 from the probe: the cluster cap and each node's cap held (and were reached, so the probe could have seen
   * them exceeded), and no two turns of one session overlapped.
   */
  private void checkProbe(String url, String killedNode) throws SQLException {
    int cap = clusterMax > 0 ? clusterMax : 3 * EngineClusterNode.NODE_MAX_CONCURRENT;
    int max = 0;
    int maxOnNode = 0;
    boolean zombieSeen = false;
    boolean killSeen = false;
    int starts = 0;
    try (Connection c = DriverManager.getConnection(url, "postgres", "");
        PreparedStatement ps = c.prepareStatement("SELECT node, session, msg, phase, total, others, on_node FROM probe_log ORDER BY seq");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        String node = rs.getString(1);
        String msg = rs.getString(3);
        String phase = rs.getString(4);
        String others = rs.getString(6);
        if (phase.equals("killed")) {
          killSeen = true;
          assertThat(node).isEqualTo(killedNode);
          continue;
        }
        if (!phase.equals("start")) continue;
        starts++;
        max = Math.max(max, rs.getInt(5));
        maxOnNode = Math.max(maxOnNode, rs.getInt(7));
        assertThat(rs.getInt(5)).as("turns running cluster-wide when %s started %s", node, msg).isLessThanOrEqualTo(cap);
        assertThat(rs.getInt(7)).as("turns running on %s when it started %s", node, msg)
            .isLessThanOrEqualTo(EngineClusterNode.NODE_MAX_CONCURRENT);
        if (msg.equals(HOLD) && !node.equals(HOLD_NODE) && others.equals(HOLD_NODE + ":" + HOLD)) {
          zombieSeen = true; // the stale owner's turn, still running, whose commit fencing refused
          continue;
        }
        assertThat(others).as("other turns of its session running when %s started %s", node, msg).isEmpty();
      }
    }
    assertThat(killSeen).isTrue();
    assertThat(zombieSeen).as("the new owner ran z-0 while the stale owner's turn still ran").isTrue();
    assertThat(maxOnNode).as("a node's cap was reached").isEqualTo(EngineClusterNode.NODE_MAX_CONCURRENT);
    if (clusterMax > 0) {
      assertThat(max).as("the cluster cap was reached").isEqualTo(clusterMax);
    } else {
      assertThat(max).as("turns ran on several nodes at once").isGreaterThan(EngineClusterNode.NODE_MAX_CONCURRENT);
    }
    // every message's turn started at least once; the killed and the stale turns started twice
    assertThat(starts).isGreaterThanOrEqualTo(allIds().size() + 2);
  }

  /** What the database holds at the end: every message done once, counters exact, nothing left to deliver. */
  private void checkStoredOutcome(StorageConfig storage) throws SQLException {
    try (Connection c = DriverManager.getConnection(storage.url(), "postgres", "")) {
      List<String> statuses = queryStrings(c, "SELECT status || ' ' || count(*) FROM journal GROUP BY status");
      assertThat(statuses).as("journal statuses").containsExactly("DONE " + allIds().size());
    }
    try (Store store = PostgresStore.open(storage, Duration.ofDays(1), new ManualScheduler())) {
      assertThat(store.unfinished()).isEmpty();
      assertThat(store.undeliveredReplies()).isEmpty();
      SessionData z = store.loadSession(new SessionKey("api:u:z"));
      assertThat(z.state()).containsEntry(EchoAgent.TURNS_KEY, "1").containsEntry(EngineClusterNode.IDS_KEY, HOLD);
      for (int u = 0; u < USERS; u++) {
        SessionData data = store.loadSession(new SessionKey("api:u:u" + u));
        int user = u;
        String ids = IntStream.range(0, PER_USER).mapToObj(i -> "u" + user + "-" + i).collect(Collectors.joining(","));
        assertThat(data.state()).as("u%d", u).containsEntry(EchoAgent.TURNS_KEY, Integer.toString(PER_USER))
            .containsEntry(EngineClusterNode.IDS_KEY, ids);
        assertThat(data.lastOutboxSeq()).isEqualTo(PER_USER);
      }
    }
  }

  /** The killed node's sessions: their unfinished messages and undelivered replies were handled by others. */
  private void checkTakeover(Killed killed, String url) throws SQLException {
    assertThat(killed.sessions()).contains("api:u:u7");
    assertThat(killed.unfinished()).contains(PARK);
    for (String id : killed.unfinished()) {
      assertThat(replies).as("answer to %s, unfinished on the killed node", id)
          .anyMatch(r -> r.inReplyTo().equals(id) && !r.node().equals(killed.node()));
    }
    for (String id : killed.undelivered()) {
      assertThat(replies).as("reply to %s, undelivered when its node was killed", id)
          .anyMatch(r -> r.inReplyTo().equals(id) && !r.node().equals(killed.node()));
    }
    try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
      assertThat(queryStrings(c, "SELECT lease_owner FROM sessions WHERE session = ?", "api:u:u7"))
          .as("u7 taken over").doesNotContain(killed.owner());
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private static List<String> allIds() {
    List<String> ids = new ArrayList<>(List.of(HOLD));
    for (int u = 0; u < USERS; u++) for (int i = 0; i < PER_USER; i++) ids.add("u" + u + "-" + i);
    return ids;
  }

  private Optional<ReplyLine> replyTo(String id) {
    return replies.stream().filter(r -> r.inReplyTo().equals(id)).findFirst();
  }

  /** The COMMIT/FENCED/CONFLICT lines of {@code node} for {@code session}. */
  private List<String> commitLines(String node, String session) {
    return commits.stream().filter(l -> l.startsWith(node + " ") && l.split(" ")[2].equals(session)).toList();
  }

  private void awaitState(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    synchronized (changed) {
      while (!condition.getAsBoolean()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) throw new AssertionError("timed out waiting for " + what);
        TimeUnit.NANOSECONDS.timedWait(changed, left);
      }
    }
  }

  private static List<String> queryStrings(Connection c, String sql, String... args) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) ps.setString(i + 1, args[i]);
      try (ResultSet rs = ps.executeQuery()) {
        List<String> out = new ArrayList<>();
        while (rs.next()) out.add(rs.getString(1));
        return out;
      }
    }
  }

  /** {@link ObservedStore} must forward every method of the SPI: a default left in place would hide the store's. */
  @Test
  void observedStoreForwardsEveryMethod() throws Exception {
    Class<?> leases = Class.forName(ObservedStore.class.getName() + "$Leases");
    Map<Class<?>, Class<?>> wrappers = new HashMap<>(Map.of(Store.class, ObservedStore.class, SessionLeases.class, leases));
    wrappers.forEach((spi, wrapper) -> {
      for (Method m : spi.getMethods()) {
        if (Modifier.isStatic(m.getModifiers())) continue;
        assertThat(declares(wrapper, m)).as("%s overrides %s", wrapper.getSimpleName(), m).isTrue();
      }
    });
  }

  private static boolean declares(Class<?> c, Method m) {
    try {
      c.getDeclaredMethod(m.getName(), m.getParameterTypes());
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
