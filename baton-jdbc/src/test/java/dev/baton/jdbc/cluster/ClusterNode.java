package dev.baton.jdbc.cluster;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.StorageConfig;
import dev.baton.jdbc.PostgresStore;
import dev.baton.spi.FencedException;
import dev.baton.spi.IngestResult;
import dev.baton.spi.JournalEntry;
import dev.baton.spi.MessageStatus;
import dev.baton.spi.Scheduler;
import dev.baton.spi.SessionLeases;
import dev.baton.spi.Store;
import dev.baton.spi.TurnCommit;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;

/**
 * A store-level cluster node for the multi-node test, in its own JVM on a shared PostgreSQL: it ingests the
 * messages it is sent and runs the turns of every session whose lease it can take, in journal order, with
 * the lease's fencing token. This is the protocol the engine needs for several nodes (docs/storage.md), driven
 * here directly against the store, so the store's side of it is tested across real processes.
 *
 * <p>In: {@code MSG <user> <id>}, {@code GO} (resume a paused turn). Out: {@code READY}, {@code ACK <id>},
 * {@code DUP <id>}, {@code LEASE <session> <token>}, {@code DONE <id> <turn>}, {@code PAUSED <session>},
 * {@code FENCED <session> <token>}. Args: {@code <jdbc-url> <node-id> <lease-ttl-ms> [pause-session]}: the
 * node pauses its first turn of that session after reading the state, before committing, until {@code GO}.
 */
public final class ClusterNode {

  private static final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    String node = args[1];
    Duration ttl = Duration.ofMillis(Long.parseLong(args[2]));
    String pauseSession = args.length > 3 ? args[3] : "";
    Scheduler clock = Scheduler.system();
    Store store = PostgresStore.open(StorageConfig.postgres(args[0], "postgres", "").withPoolSize(2),
        Duration.ofDays(1), clock);
    SessionLeases leases = store.leases().orElseThrow();
    CountDownLatch go = new CountDownLatch(1);
    Thread.ofPlatform().daemon(true).start(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (line.equals("GO")) {
            go.countDown();
            continue;
          }
          String[] f = line.split(" ");
          InboundMessage m = InboundMessage.of("api", f[2], f[1], "m", Instant.EPOCH);
          JournalEntry e = new JournalEntry(new DedupKey("api:" + f[2]), new SessionKey("api:u:" + f[1]), m,
              clock.now());
          print((store.ingest(e) instanceof IngestResult.Inserted ? "ACK " : "DUP ") + f[2]);
        }
      } catch (Exception e) {
        e.printStackTrace();
      }
    });
    print("READY");
    boolean paused = false;
    Semaphore tick = new Semaphore(0);
    while (true) {
      Map<SessionKey, JournalEntry> firstBySession = new LinkedHashMap<>();
      for (JournalEntry e : store.unfinished()) firstBySession.putIfAbsent(e.session(), e);
      for (var first : firstBySession.entrySet()) {
        SessionKey s = first.getKey();
        Optional<SessionLeases.Lease> lease = leases.acquire(s, node, ttl);
        if (lease.isEmpty()) continue;
        long token = lease.get().token();
        print("LEASE " + s + " " + token);
        JournalEntry e = first.getValue(); // the oldest unfinished message of the session: P9 order
        Optional<String> n = Optional.ofNullable(store.loadSession(s).state().get("n"));
        long turn = n.map(Long::parseLong).orElse(0L) + 1;
        if (!paused && s.value().equals("api:u:" + pauseSession)) {
          paused = true;
          print("PAUSED " + s);
          go.await();
        }
        Reply r = new Reply(s, 0, "api", s.value(), e.message().messageId(), Reply.Kind.REPLY,
            e.message().messageId() + " " + turn + " " + node, OptionalLong.of(turn), Map.of());
        try {
          store.commitTurn(new TurnCommit(s, List.of(e.key()), MessageStatus.DONE, Map.of("n", n),
              Map.of("n", Optional.of(Long.toString(turn))), List.of(), List.of(r), token));
          print("DONE " + e.message().messageId() + " " + turn);
        } catch (FencedException fenced) {
          print("FENCED " + s + " " + token);
        }
      }
      clock.schedule(Duration.ofMillis(20), tick::release); // poll interval
      tick.acquire();
    }
  }

  private static void print(String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
