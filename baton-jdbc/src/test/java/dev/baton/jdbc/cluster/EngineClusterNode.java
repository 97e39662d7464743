package dev.baton.jdbc.cluster;

import dev.baton.Admission;
import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import dev.baton.Turn;
import dev.baton.config.BatonConfig;
import dev.baton.config.ClusterConfig;
import dev.baton.config.ConcurrencyConfig;
import dev.baton.config.StorageConfig;
import dev.baton.internal.agent.EchoAgent;
import dev.baton.jdbc.PostgresStore;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.Scheduler;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * One Baton node of the engine cluster test, in its own JVM: the real engine ({@link Baton#builder()}) in
 * cluster mode on the shared PostgreSQL, running the echo agent wrapped in a {@link TurnProbe} and a record of
 * the messages each turn answered ({@value #IDS_KEY} in session state, committed with the turn).
 *
 * <p>Protocol, one line each. In: {@code MSG <user> <id>}, {@code GO} (ends a hold), {@code QUIT}. Out:
 * {@code READY}, {@code ACK <id>} / {@code DUP <id>} / {@code NACK <id> <admission>} (what {@code submit}
 * returned), {@code REPLY <session> <outboxSeq> <turn> <inReplyTo> <node>} (printed, then marked delivered),
 * {@code HELD <id>}, {@code PARKED <id>}, the commit lines of {@link ObservedStore}, {@code PROBE-ERROR ...},
 * {@code BYE}. Engine logs go to stderr.
 *
 * <p>Args: {@code <jdbc-url> <node> <lease-ttl-ms> <poll-ms> <hold-id> <park-id> <cluster-max-concurrent>}
 * ({@code -} = none; the last is {@code cluster.max_concurrent_total}, 0 = no cluster-wide cap). The
 * first turn (cluster-wide, as the probe counts) answering {@code hold-id} stages its writes, cuts this node's
 * lease calls for its session off the database ({@link ObservedStore#partitionRenewals}), prints {@code HELD}
 * and waits for {@code GO} before returning, so its commit comes after its lease lapsed. The first turn
 * answering {@code park-id} prints {@code PARKED} and blocks until the process is killed, so the kill lands
 * inside a running turn.
 */
public final class EngineClusterNode {

  /** Session-state key: the ids of the messages the session's committed turns answered, in order. */
  static final String IDS_KEY = "probe.ids";
  /** {@code agent.concurrency.max_concurrent_total} of every node. */
  static final int NODE_MAX_CONCURRENT = 2;

  private static final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    // Before anything logs: engine and driver logs to stderr, so stdout carries only the protocol.
    System.setProperty("logback.configurationFile", "engine-cluster-logback.xml");
    String url = args[0];
    String node = args[1];
    long ttlMs = Long.parseLong(args[2]);
    long pollMs = Long.parseLong(args[3]);
    String holdId = args[4];
    String parkId = args[5];
    int clusterMax = Integer.parseInt(args[6]);

    Scheduler clock = Scheduler.system();
    StorageConfig storage = StorageConfig.postgres(url, "postgres", "").withPoolSize(4).withLeaseTtlMs(ttlMs);
    ObservedStore store = new ObservedStore(PostgresStore.open(storage, Duration.ofDays(1), clock),
        EngineClusterNode::print, clock, Duration.ofMillis(ttlMs), EngineClusterNode::stallAfterIngest);
    TurnProbe probe = new TurnProbe(url, NODE_MAX_CONCURRENT + 1);
    CountDownLatch go = new CountDownLatch(1);

    EchoAgent echo = new EchoAgent();
    Agent agent = turn -> {
      SessionKey session = turn.context().session();
      String ids = turn.messages().stream().map(Turn.Message::id).collect(Collectors.joining("+"));
      // Hold and park only the first turn that answers the message, cluster-wide: the node that takes it over
      // must run it through.
      boolean first = probeOrFail(() -> probe.start(node, session.value(), ids)) == 0;
      try {
        echo.onTurn(turn);
        String before = turn.state().get(IDS_KEY).orElse("");
        turn.state().put(IDS_KEY, before.isEmpty() ? ids : before + "," + ids);
        if (first && ids.equals(holdId)) {
          store.partitionRenewals(session);
          print("HELD " + ids);
          go.await();
        }
        if (first && ids.equals(parkId)) {
          print("PARKED " + ids);
          while (true) LockSupport.park(); // until kill -9
        }
      } finally {
        probeOrFail(() -> {
          probe.end(node, session.value(), ids);
          return 0;
        });
      }
    };

    BatonConfig defaults = BatonConfig.defaults();
    ConcurrencyConfig c = defaults.agent().concurrency();
    BatonConfig config = defaults.withStorage(storage)
        .withAgent(defaults.agent().withTurnTimeoutMs(120_000).withConcurrency(new ConcurrencyConfig(1,
            NODE_MAX_CONCURRENT, 10_000, 600_000, ConcurrencyConfig.OverflowAction.REJECT, c.busyMessage(),
            ConcurrencyConfig.QueueMode.FOLLOWUP, 0)))
        .withCluster(ClusterConfig.node(node).withPollIntervalMs(pollMs).withMaxConcurrentTotal(clusterMax));
    Baton baton = Baton.builder().config(config).store(store).agent(agent).replies(r -> {
      print("REPLY " + r.session() + " " + r.outboxSeq() + " " + r.turn().orElse(-1) + " " + r.inReplyTo() + " " + node);
      store.markDelivered(r.session(), r.outboxSeq());
    }).build();
    print("READY");

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.equals("QUIT")) break;
      if (line.equals("GO")) {
        go.countDown();
        continue;
      }
      String[] f = line.split(" ");
      // Each delivery on its own thread, as concurrent webhook calls would arrive; a user's next message is
      // sent only after this one's ACK, so each session's arrival order is its send order.
      Thread.ofVirtual().start(() -> {
        Admission a = baton.submit(InboundMessage.of("api", f[2], f[1], "text-of-" + f[2], Instant.EPOCH));
        switch (a) {
          case Admission.Accepted x -> print("ACK " + f[2]);
          case Admission.Duplicate x -> print("DUP " + f[2]);
          default -> print("NACK " + f[2] + " " + a);
        }
      });
    }
    baton.close();
    probe.close();
    store.close();
    print("BYE");
    System.exit(0);
  }

  /**
   * The messages whose submit stalls after its insert until the node polled the journal
   * ({@link ObservedStore}): every second message of each user, so both orders of submit and poll are run.
   */
  static boolean stallAfterIngest(JournalEntry e) {
    String id = e.message().messageId();
    return id.startsWith("u") && Integer.parseInt(id.substring(id.indexOf('-') + 1)) % 2 == 1;
  }

  private interface ProbeCall {
    int run() throws Exception;
  }

  private static int probeOrFail(ProbeCall call) {
    try {
      return call.run();
    } catch (Exception e) {
      print("PROBE-ERROR " + e.toString().replace('\n', ' '));
      throw new IllegalStateException("probe failed", e);
    }
  }

  static void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
