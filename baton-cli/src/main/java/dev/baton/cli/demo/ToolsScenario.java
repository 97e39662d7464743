package dev.baton.cli.demo;

import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.config.ToolsConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.WaitGraph;
import dev.baton.spi.Scheduler;
import dev.baton.tools.BatonTools;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/*
 * Overview: tool contention and deliberate deadlocks through the in-process engine (P5, P6, P8). Many
 * sessions at once add to one shared counter, append to one shared ledger and run a counted side effect,
 * every call retried with its idempotency key (a retry racing the first call, and a retry after it). Two
 * deadlocks are injected: a lock cycle between two sessions (each locks one account, then the other's) and
 * an ask cycle (A asks B while B asks A). The report counts lost updates (must be 0), side effects executed
 * twice (must be 0), and deadlocks injected / detected / broken with the time to detect each.
 *
 * Concurrency: messages are submitted from the calling thread; the engine runs turns on its virtual threads;
 * every wait is bounded (a lost message or an unbroken deadlock shows as a violation, not a hang).
 */
public final class ToolsScenario implements Scenario {
  static final int MAX_USERS = 40, MAX_MESSAGES = 5;
  static final long SETTLE_MS = 60_000;

  @Override
  public String name() {
    return "tools";
  }

  @Override
  public String summary() {
    return "shared counter/ledger from many sessions with retried calls, a lock cycle and an ask cycle (P5 P6 P8)";
  }

  @Override
  public DemoReport run(DemoOptions options, Progress progress) throws InterruptedException {
    Path root;
    try {
      root = Files.createTempDirectory("baton-demo-tools-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the demo's workspace folder", e);
    }
    BatonConfig c = options.config();
    BatonConfig config = c.withTools(new ToolsConfig(root.toString(), c.tools().idempotencyRetentionMs()));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    WaitGraph.Owned graph = WaitGraph.create(config.agent().deadlockDetection(), Scheduler.system(), meters);
    graph.start();
    DemoAskRouter router = new DemoAskRouter(graph);
    DemoTools.Effect effect = new DemoTools.Effect();
    int users = Math.min(options.users(), MAX_USERS), perUser = Math.min(options.messages(), MAX_MESSAGES);
    int work = users * perUser, total = work + 4;
    Map<String, String> answers = new ConcurrentHashMap<>();
    CountDownLatch settled = new CountDownLatch(total);
    long start = System.nanoTime();
    try (BatonTools tools = BatonTools.builder().config(config).meterRegistry(meters).waitForGraph(graph)
            .askRouter(router).tool(effect).tool(new DemoTools.Swap()).build();
        Baton baton = Baton.builder().config(config).agent(new ToolsAgent(router)).tools(tools).meterRegistry(meters)
            .replies(r -> {
              if (answers.putIfAbsent(r.inReplyTo(), r.kind() == Reply.Kind.REPLY ? r.text() : r.kind().name()) == null) {
                settled.countDown();
              }
            }).build()) {
      submit(baton, "lock-a", "L", "lock-cycle L1 acct-1 acct-2");
      submit(baton, "lock-b", "L", "lock-cycle L1 acct-2 acct-1");
      submit(baton, "ask-a", "A", "ask-cycle A1 " + session("ask-b"));
      submit(baton, "ask-b", "A", "ask-cycle A1 " + session("ask-a"));
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS);
      // In rounds: every session sends its next message when the round before is answered, so messages wait
      // for locks held by other sessions' calls, not for the session's own queue (which would expire them).
      for (int s = 1; s <= perUser; s++) {
        for (int u = 0; u < users; u++) submit(baton, "t" + u, Integer.toString(s), "work t" + u + "-" + s);
        long roundDone = total - (long) users * (perUser - s);
        while (total - settled.getCount() < roundDone - 4 && System.nanoTime() < deadline) {
          settled.await(50, TimeUnit.MILLISECONDS);
          progress.update(total - settled.getCount(), total);
        }
      }
      while (!settled.await(100, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
        progress.update(total - settled.getCount(), total);
      }
      progress.finish(total - settled.getCount(), total);
    } finally {
      graph.close();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return report(options, root, answers, effect, graph.recentDeadlocks(), meters, users, perUser, seconds);
  }

  private static void submit(Baton baton, String user, String seq, String text) {
    baton.submit(new InboundMessage(DemoMessages.CHANNEL, user + "-" + seq, user, "", OrderKey.NONE, text,
        Instant.now(), Map.of()));
  }

  private static String session(String user) {
    return SessionKey.derive(InboundMessage.of(DemoMessages.CHANNEL, "x", user, "", Instant.EPOCH), IdSource.USER_ID)
        .value();
  }

  private DemoReport report(DemoOptions options, Path root, Map<String, String> answers, DemoTools.Effect effect,
      List<DeadlockReport> deadlocks, SimpleMeterRegistry meters, int users, int perUser, double seconds) {
    int work = users * perUser;
    // A work reply lists the codes of its 9 calls: counter, counter, ledger, ledger, effect, effect, then the
    // three retries. The counter must count every message whose first counter call said ok.
    List<String[]> workCodes = answers.entrySet().stream().filter(e -> e.getKey().startsWith("t"))
        .map(e -> e.getValue().split(" ")).filter(c -> c.length == 9).toList();
    long answered = workCodes.stream().filter(c -> c[0].equals("ok")).count();
    long ledgerOk = workCodes.stream().filter(c -> c[2].equals("ok")).count();
    long counter = readCounter(root.resolve("shared-state/counters/demo-visits"));
    List<String> ledger = readLines(root.resolve("shared-state/ledgers/demo"));
    Set<String> entries = new HashSet<>();
    long ledgerDuplicates = 0;
    for (String l : ledger) if (!entries.add(l.substring(l.lastIndexOf('\t') + 1))) ledgerDuplicates++;
    long effectTwice = effect.runs.values().stream().mapToLong(a -> Math.max(0, a.get() - 1)).sum();
    long retried = 6L * work; // per message: 3 calls raced by a retry, then 3 retries after the answer
    long lost = Math.max(0, answered - counter) + Math.max(0, ledgerOk - entries.size());
    long twice = effectTwice + ledgerDuplicates + Math.max(0, counter - work); // more than one +1 per message
    List<String> lostExamples = lost == 0 ? List.of()
        : List.of("counter " + counter + " and " + entries.size() + " ledger entries for " + answered + " answered messages");
    List<String> twiceExamples = twice == 0 ? List.of()
        : List.of(effectTwice + " side effects, " + ledgerDuplicates + " ledger lines run twice");

    int injected = 2, broken = 0;
    List<String> deadlockExamples = new ArrayList<>();
    for (String pair : List.of("lock", "ask")) {
      String a = answers.getOrDefault(pair + "-a-" + (pair.equals("lock") ? "L" : "A"), "no reply");
      String b = answers.getOrDefault(pair + "-b-" + (pair.equals("lock") ? "L" : "A"), "no reply");
      boolean ok = (a.equals("deadlock") && b.equals("ok")) || (a.equals("ok") && b.equals("deadlock"));
      if (ok) broken++; else deadlockExamples.add(pair + " cycle: the two sides answered '" + a + "' and '" + b + "'");
    }
    Map<String, DemoReport.PromiseResult> promises = new LinkedHashMap<>();
    promises.put("P4", new DemoReport.PromiseResult("every message answered in bounded time", work + 4L,
        (work + 4L) - answers.size(), answers.size() == work + 4 ? List.of() : List.of((work + 4 - answers.size()) + " unanswered")));
    promises.put("P5", new DemoReport.PromiseResult("no lost update on the shared counter and ledger", 2L * work, lost,
        lostExamples));
    promises.put("P6", new DemoReport.PromiseResult("a retried tool call executes once", retried, twice, twiceExamples));
    promises.put("P8", new DemoReport.PromiseResult("each injected deadlock is found and broken, the other side completes",
        injected, injected - broken, deadlockExamples));

    Map<String, Long> messages = new LinkedHashMap<>();
    messages.put("sent", work + 4L);
    messages.put("answered", (long) answers.size());
    Map<String, Object> load = new LinkedHashMap<>();
    load.put("sessions", users + 4);
    load.put("work_messages_per_session", perUser);
    load.put("tool_calls", 9L * work + 4);
    load.put("lost_updates", lost);
    load.put("executed_twice", twice);
    load.put("deadlocks", Map.of("injected", injected, "detected", deadlocks.size(), "broken", broken));
    load.put("detect_ms", deadlocks.stream().map(d -> d.latency().toNanos() / 1e6).toList());
    load.put("deadlock_cycles", deadlocks.stream().map(d -> d.via() + ": " + d.size() + " parties, victim " + d.victim())
        .toList());
    Map<String, Long> engine = new TreeMap<>();
    for (Meter m : meters.getMeters()) {
      if (m instanceof Counter ctr && m.getId().getName().startsWith("baton.")) {
        engine.merge(m.getId().getName(), (long) ctr.count(), Long::sum);
      }
    }
    return new DemoReport(name(), options.seed(), DemoReport.passed(promises), promises, messages, load, engine,
        Map.of(), seconds, answers.size() / seconds);
  }

  private static long readCounter(Path f) {
    try {
      return Files.exists(f) ? Long.parseLong(Files.readString(f).trim()) : 0;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static List<String> readLines(Path f) {
    try {
      return Files.exists(f) ? Files.readAllLines(f) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }
}
