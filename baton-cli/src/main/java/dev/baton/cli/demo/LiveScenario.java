package dev.baton.cli.demo;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.LiveEvent;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.config.BatonConfig;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.tools.BatonTools;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/*
 * Overview: live turns (P10, issue 11) through the in-process engine in queue mode steer, with the real tool
 * runtime, a scripted streaming agent (LiveAgent) and concurrent users, each in a role:
 *   chat         streams only (every other message calls demo.hold on a lock all chat users share)
 *   steer        sends a message, and two more as soon as its turn streams: the turn takes them (steer)
 *   cancel-keep  its turn holds a lock in a tool call; a message queues behind it; Baton.cancel(drop_queued
 *                false): the turn stops, the queued message runs next
 *   cancel-drop  the same with drop_queued true: the queued message is completed without a turn or reply
 *   stop         its turn waits for a "model request"; the stop command "/stop" (a message) cancels it
 *   cancel-think the same cancelled with Baton.cancel
 * Checked from the outside (LiveRecorder sees what the engine hands its reply handler): the deltas of each reply
 * build exactly its final text; each message is covered by exactly one reply (Reply.covers over all replies;
 * dropped and stop messages by none); each cancel ends its turn (CANCELLED reply) within CANCEL_LIMIT_MS of the
 * request, measured with System.nanoTime; after the cancelled turn's reply its lock is free (a probe call takes
 * it at once through the same tool runtime).
 * Beside it, at the same time, LivePlatformLeg runs a real gateway: Telegram group members whose streams the
 * gateway shows as throttled preview edits on a Bot API stand-in that answers 429 with Retry-After now and then
 * (per-chat edit rate, final text), and HTTP users who cancel with POST /v1/cancel.
 *
 * Concurrency: one virtual thread per user; the engine runs turns on its own threads. Every wait is bounded
 * (WAIT): a lost reply shows as a violation, not a hang.
 *
 * Failure: a planted Fault (tests only) breaks one link so that each check is seen to fail.
 */
public final class LiveScenario implements Scenario {

  static final String NAME = "live";
  static final int MAX_USERS = 30;
  static final int MAX_ROUNDS = 3;
  static final long CANCEL_LIMIT_MS = 100;
  static final Duration WAIT = Duration.ofSeconds(10);
  /** How long a cancelled turn's tool would hold its lock if the cancel did not stop it. */
  static final long HOLD_MS = 1_500;
  static final long SHARED_HOLD_MS = 20;
  static final long PROBE_MS = 300;
  static final String SHARED_RESOURCE = "printer";

  /** Bugs planted on purpose (tests), each breaking what one check watches. */
  enum Fault {
    /** The reply path loses a delta now and then. */
    DROP_DELTA,
    /** The reply path hands a steered turn's reply over twice. */
    DUPLICATE_REPLY,
    /** The agent's "model request" does not end on interrupt. */
    AGENT_IGNORES_INTERRUPT,
    /** The tool sleeps on through the interrupt, keeping its lock after the turn was cancelled. */
    TOOL_IGNORES_INTERRUPT,
    /** The gateway is configured to edit previews five times as often as the limit the check holds it to. */
    EDIT_TOO_OFTEN
  }

  enum Role { CHAT, STEER, CANCEL_KEEP, CANCEL_DROP, STOP, CANCEL_THINK }

  final Set<Fault> faults;
  final Tally stream = new Tally("P10", "the deltas of each reply build exactly its final text");
  final Tally steer = new Tally("P10", "each message is answered in exactly one turn (Reply.covers), dropped and"
      + " stop messages in none");
  final Tally cancel = new Tally("P10", "each cancel stops its turn within " + CANCEL_LIMIT_MS + " ms of the request");
  final Tally locks = new Tally("P10", "a cancelled turn leaves no lock held");
  /** How many times each message must be covered by a reply. */
  private final Map<String, Integer> expected = new ConcurrentHashMap<>();
  private final List<Long> cancelNanos = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicLong> cancels = new ConcurrentHashMap<>();
  private final AtomicInteger probes = new AtomicInteger();
  private final AtomicLong steerSent = new AtomicLong();

  public LiveScenario() {
    this(EnumSet.noneOf(Fault.class));
  }

  LiveScenario(Set<Fault> faults) {
    this.faults = faults.isEmpty() ? EnumSet.noneOf(Fault.class) : EnumSet.copyOf(faults);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String summary() {
    return "streamed replies, steered and cancelled turns (API and /stop) with tool locks held (P10)";
  }

  static BatonConfig config(Path root) {
    return new HostileConfig()
        .set("agent.type", "echo")
        .set("agent.turn_timeout_ms", 10_000)
        .set("agent.tool_call_timeout_ms", 5_000)
        .set("agent.concurrency.max_concurrent_per_session", 1)
        .set("agent.concurrency.max_concurrent_total", 64)
        .set("agent.concurrency.max_queue_per_session", 8)
        .set("agent.concurrency.queue_timeout_ms", 10_000)
        .set("agent.concurrency.queue_mode", "steer")
        .set("storage.backend", "memory")
        .set("tools.workspace_root", root.toString())
        .build("the live scenario's configuration");
  }

  @Override
  public DemoReport run(DemoOptions options, Progress progress) throws InterruptedException {
    Path root;
    try {
      root = Files.createTempDirectory("baton-demo-live-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the demo's workspace folder", e);
    }
    BatonConfig config = config(root);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    LiveRecorder recorder = new LiveRecorder(stream, null);
    LiveAgent agent = new LiveAgent(faults);
    int users = Math.max(Role.values().length, Math.min(options.users(), MAX_USERS));
    int rounds = Math.min(options.messages(), MAX_ROUNDS);
    long start = System.nanoTime();
    AtomicInteger done = new AtomicInteger();
    LivePlatformLeg platform = new LivePlatformLeg(this);
    AtomicReference<@Nullable RuntimeException> platformFailure = new AtomicReference<>();
    Thread platformLeg = Thread.ofVirtual().name("demo-live-platform").start(() -> {
      try {
        platform.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        platformFailure.set(e);
      }
    });
    try (BatonTools tools = BatonTools.builder().config(config).meterRegistry(meters)
            .tool(new LiveAgent.Hold(recorder::held, faults.contains(Fault.TOOL_IGNORES_INTERRUPT))).build();
        Baton baton = Baton.builder().config(config).agent(agent).tools(tools).meterRegistry(meters)
            .replies(faulty(recorder)).build()) {
      ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
      List<Future<?>> running = new ArrayList<>();
      try {
        for (int u = 0; u < users; u++) {
          User user = new User(baton, tools, recorder, "live" + u, Role.values()[u % Role.values().length]);
          running.add(threads.submit(() -> {
            try {
              for (int round = 1; round <= rounds; round++) user.round(round);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            } finally {
              done.incrementAndGet();
            }
            return null;
          }));
        }
        threads.shutdown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!threads.awaitTermination(100, TimeUnit.MILLISECONDS) && System.nanoTime() < deadline) {
          progress.update(done.get(), users);
        }
      } finally {
        threads.shutdownNow();
      }
      ended(running, steer, "a simulated user");
      awaitQuiet(recorder);
      if (!platformLeg.join(Duration.ofSeconds(90))) platform.edits.check(false, "the platform leg did not end in 90 s");
      progress.finish(done.get(), users);
    }
    RuntimeException failed = platformFailure.get();
    if (failed != null) platform.edits.check(false, "the platform leg failed: " + failed.getClass().getSimpleName());
    double seconds = (System.nanoTime() - start) / 1e9;
    checkCovers(recorder.replies(), expected);
    return report(options, recorder, agent, platform, meters, users, rounds, seconds);
  }

  /** The reply path the engine gets: the recorder, or the recorder behind a planted fault. */
  private ReplyHandler faulty(LiveRecorder recorder) {
    if (faults.contains(Fault.DROP_DELTA)) return droppingDeltas(recorder);
    if (faults.contains(Fault.DUPLICATE_REPLY)) {
      return new ReplyHandler() {
        @Override
        public void onReply(Reply r) {
          recorder.onReply(r);
          if (r.covers().size() > 1) recorder.onReply(r);
        }

        @Override
        public void onLive(LiveEvent e) {
          recorder.onLive(e);
        }
      };
    }
    return recorder;
  }

  /** The fault DROP_DELTA: {@code next} behind a path that loses the third delta of every stream. */
  static ReplyHandler droppingDeltas(ReplyHandler next) {
    Map<String, AtomicInteger> n = new ConcurrentHashMap<>();
    return new ReplyHandler() {
      @Override
      public void onReply(Reply r) {
        next.onReply(r);
      }

      @Override
      public void onLive(LiveEvent e) {
        if (e instanceof LiveEvent.Delta d
            && n.computeIfAbsent(d.streamId(), k -> new AtomicInteger()).incrementAndGet() == 3) {
          return;
        }
        next.onLive(e);
      }
    };
  }

  /** Each of {@code users} must have ended normally (after a bounded wait): else a violation of {@code tally}. */
  static void ended(List<Future<?>> users, Tally tally, String who) {
    for (Future<?> f : users) {
      try {
        f.get(1, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        tally.check(false, who + " failed: " + (cause == null ? e : cause).getClass().getSimpleName());
      } catch (TimeoutException | java.util.concurrent.CancellationException e) {
        tally.check(false, who + " did not end in time");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Waits (bounded) until every message that must be answered is, so the final sweep sees every reply. */
  private void awaitQuiet(LiveRecorder recorder) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      if (e.getValue() == 0) continue;
      long left = deadline - System.nanoTime();
      if (left <= 0) return;
      await(recorder.reply(e.getKey()), Duration.ofNanos(left));
    }
  }

  /** Each message covered by exactly as many replies as it must be (1; 0 when dropped or a stop command). */
  void checkCovers(List<Reply> replies, Map<String, Integer> expected) {
    Map<String, Integer> seen = new HashMap<>();
    for (Reply r : replies) for (String id : r.covers()) seen.merge(id, 1, Integer::sum);
    for (Map.Entry<String, Integer> e : new TreeMap<>(expected).entrySet()) {
      int n = seen.getOrDefault(e.getKey(), 0);
      steer.check(n == e.getValue(), e.getKey() + " was answered in " + n + " turn(s), expected " + e.getValue());
    }
    for (String id : seen.keySet()) {
      if (!expected.containsKey(id)) steer.check(false, "a reply covers " + id + ", which nobody sent");
    }
  }

  static <T> Optional<T> await(CompletableFuture<T> f, Duration timeout) throws InterruptedException {
    try {
      return Optional.of(f.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
    } catch (TimeoutException | ExecutionException e) {
      return Optional.empty();
    }
  }

  /** One simulated user: one session, one role, messages numbered from 1. */
  private final class User {
    private final Baton baton;
    private final BatonTools tools;
    private final String name;
    private final Role role;
    private final SessionKey session;
    private final LiveRecorder recorder;
    private int seq;

    User(Baton baton, BatonTools tools, LiveRecorder recorder, String name, Role role) {
      this.baton = baton;
      this.recorder = recorder;
      this.tools = tools;
      this.name = name;
      this.role = role;
      this.session = SessionKey.derive(InboundMessage.of(DemoMessages.CHANNEL, "x", name, "", Instant.EPOCH),
          IdSource.USER_ID);
    }

    private String send(String text, int mustBeCovered) {
      seq++;
      String id = name + "-" + seq;
      expected.put(id, mustBeCovered);
      Admission a = baton.submit(new InboundMessage(DemoMessages.CHANNEL, id, name, "", OrderKey.NONE, text,
          Instant.now(), Map.of()));
      steer.check(a instanceof Admission.Accepted, id + " (" + role + ") was refused: " + a);
      return id;
    }

    void round(int round) throws InterruptedException {
      switch (role) {
        case CHAT -> expectReply(send(round % 2 == 0 ? "tool " + SHARED_RESOURCE + " " + SHARED_HOLD_MS : "chat", 1));
        case STEER -> {
          String first = send("chat", 1);
          await(recorder.firstDelta(first), WAIT);
          List<String> more = List.of(send("chat", 1), send("chat", 1)); // while the turn streams
          steerSent.addAndGet(more.size());
          expectReply(first);
          for (String id : more) expectReply(id);
        }
        case CANCEL_KEEP, CANCEL_DROP -> cancelInTool(role == Role.CANCEL_DROP);
        case STOP, CANCEL_THINK -> cancelThinking(role == Role.STOP);
      }
    }

    private void expectReply(String id) throws InterruptedException {
      Optional<LiveRecorder.Seen> r = await(recorder.reply(id), WAIT);
      steer.check(r.isPresent() && r.get().reply().kind() == Reply.Kind.REPLY, id + " (" + role + ") was answered "
          + r.map(s -> "with a " + s.reply().kind() + " reply").orElse("never"));
    }

    /** A turn inside a tool call holding this user's own lock, a message queued behind it, then Baton.cancel. */
    private void cancelInTool(boolean dropQueued) throws InterruptedException {
      String resource = "desk-" + name;
      String running = send("tool " + resource + " " + HOLD_MS, 1);
      if (await(recorder.holding(running), WAIT).isEmpty()) {
        cancel.check(false, running + ": its tool call never held its lock");
        return;
      }
      String queued = send("chat", dropQueued ? 0 : 1);
      long asked = System.nanoTime();
      Baton.Cancelled c = baton.cancel(session, dropQueued);
      count(dropQueued ? "api_drop_queued" : "api");
      cancel.check(c.turns() == 1 && c.dropped() == (dropQueued ? 1 : 0), "cancel(" + session + ", drop_queued "
          + dropQueued + ") answered " + c + " for a running turn and one queued message");
      if (!cancelled(recorder, running, asked)) return;
      Optional<String> held = lockHeld(resource);
      locks.check(held.isEmpty(), "after the CANCELLED reply to " + running + " its lock " + resource + " was still"
          + " held: " + held.orElse(""));
      if (!dropQueued) expectReply(queued);
    }

    /** A turn waiting for its "model request", cancelled by the stop command or by Baton.cancel. */
    private void cancelThinking(boolean stopCommand) throws InterruptedException {
      String running = send("think", 1);
      if (await(recorder.firstDelta(running), WAIT).isEmpty()) {
        cancel.check(false, running + ": its turn never streamed");
        return;
      }
      long asked = System.nanoTime();
      if (stopCommand) {
        send("/stop", 0);
        count("stop_command");
      } else {
        Baton.Cancelled c = baton.cancel(session, true);
        count("api_drop_queued");
        cancel.check(c.turns() == 1 && c.dropped() == 0, "cancel(" + session + ", drop_queued true) answered " + c
            + " for a running turn and nothing queued");
      }
      cancelled(recorder, running, asked);
    }

    /**
     * Whether {@code resource} is still locked: a probe call through the same tool runtime, in a session of its
     * own, must take it within PROBE_MS. Empty when it did; else what the probe was answered.
     */
    private Optional<String> lockHeld(String resource) throws InterruptedException {
      int n = probes.incrementAndGet();
      TurnContext ctx = new TurnContext(PROBE_SESSION, "probe", List.of("probe-" + n), "probe-" + n,
          PROBE_TURN_BASE + n, Instant.now().plusMillis(PROBE_MS));
      ToolResult r = tools.bind(ctx, new dev.baton.testing.MapSessionState()).call(ToolCall.of(LiveAgent.Hold.NAME,
          "{\"resource\":\"" + resource + "\",\"ms\":0,\"id\":\"probe\"}"));
      return r instanceof ToolResult.Failed f ? Optional.of(f.code() + ": " + f.message()) : Optional.empty();
    }
  }

  private static final SessionKey PROBE_SESSION = SessionKey.derive(
      InboundMessage.of("demo-probe", "x", "probe", "", Instant.EPOCH), IdSource.USER_ID);
  private static final long PROBE_TURN_BASE = 1_000_000_000L;

  /** Checks that {@code id}'s turn ended CANCELLED within the limit of {@code askedNanos}. */
  boolean cancelled(LiveRecorder recorder, String id, long askedNanos) throws InterruptedException {
    Optional<LiveRecorder.Seen> r = await(recorder.reply(id), WAIT);
    if (r.isEmpty() || r.get().reply().kind() != Reply.Kind.CANCELLED) {
      cancel.check(false, "the cancelled turn of " + id + " was answered "
          + r.map(s -> "with a " + s.reply().kind() + " reply").orElse("never"));
      return false;
    }
    long nanos = r.get().nanos() - askedNanos;
    cancelNanos.add(nanos);
    cancel.check(nanos <= TimeUnit.MILLISECONDS.toNanos(CANCEL_LIMIT_MS), String.format(java.util.Locale.ROOT,
        "the turn of %s stopped %.1f ms after its cancel (limit %d ms)", id, nanos / 1e6, CANCEL_LIMIT_MS));
    return true;
  }

  void count(String kind) {
    cancels.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
  }

  /** P10 as one promise: the four checks summed, examples of each kept. */
  private DemoReport.PromiseResult p10(List<Tally> checks) {
    long checked = 0, violations = 0;
    List<String> examples = new ArrayList<>();
    for (Tally t : checks) {
      checked += t.checked();
      violations += t.violations();
      examples.addAll(t.examples());
    }
    return new DemoReport.PromiseResult("live turns: " + String.join("; ", checks.stream().map(t -> t.meaning).toList()),
        checked, violations, examples.subList(0, Math.min(5, examples.size())));
  }

  private static Map<String, Long> checkFigures(Tally t) {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("checked", t.checked());
    m.put("violations", t.violations());
    return m;
  }

  private DemoReport report(DemoOptions options, LiveRecorder recorder, LiveAgent agent, LivePlatformLeg platform,
      SimpleMeterRegistry meters, int users, int rounds, double seconds) {
    List<Tally> checks = List.of(stream, steer, cancel, locks, platform.edits, platform.sse);
    Map<String, DemoReport.PromiseResult> promises = new LinkedHashMap<>();
    promises.put("P10", p10(checks));

    Map<String, Integer> seen = new HashMap<>();
    for (Reply r : recorder.replies()) for (String id : r.covers()) seen.merge(id, 1, Integer::sum);
    long mustAnswer = expected.values().stream().filter(v -> v > 0).count();
    long answered = expected.entrySet().stream().filter(e -> e.getValue() > 0 && seen.containsKey(e.getKey())).count();
    Map<String, Long> messages = new LinkedHashMap<>();
    messages.put("sent", (long) expected.size());
    messages.put("answered", answered);
    messages.put("dropped_or_stop", (long) expected.size() - mustAnswer);
    messages.put("unanswered", mustAnswer - answered);

    Map<String, Object> load = new LinkedHashMap<>();
    load.put("users", users);
    load.put("rounds_per_user", rounds);
    load.put("streamed_replies", recorder.streamedReplies());
    load.put("deltas", recorder.deltas());
    load.put("steer_messages", steerSent.get());
    load.put("steered_into_running_turn", (long) agent.steered.size());
    Map<String, Long> kinds = new TreeMap<>();
    cancels.forEach((k, v) -> kinds.put(k, v.get()));
    load.put("cancels", kinds);
    List<Long> nanos;
    synchronized (cancelNanos) {
      nanos = List.copyOf(cancelNanos);
    }
    Map<String, Double> pct = DemoReport.percentilesMs(nanos);
    Map<String, Object> cancelMs = new LinkedHashMap<>();
    cancelMs.put("p50", pct.get("p50"));
    cancelMs.put("max", pct.get("max"));
    cancelMs.put("limit", CANCEL_LIMIT_MS);
    load.put("cancel_ms", cancelMs);
    load.put("locks_probed", (long) probes.get());
    Map<String, Object> byCheck = new LinkedHashMap<>();
    byCheck.put("deltas_build_reply", checkFigures(stream));
    byCheck.put("steered_once", checkFigures(steer));
    byCheck.put("cancel_within_limit", checkFigures(cancel));
    byCheck.put("cancel_frees_locks", checkFigures(locks));
    byCheck.put("edit_rate_and_final_text", checkFigures(platform.edits));
    byCheck.put("sse_deltas_and_covers", checkFigures(platform.sse));
    load.put("checks", byCheck);
    load.put("platform", platform.figures());

    Map<String, Long> engine = new TreeMap<>();
    for (Meter m : meters.getMeters()) {
      if (m instanceof Counter ctr && m.getId().getName().startsWith("baton.")) {
        engine.merge(m.getId().getName(), (long) ctr.count(), Long::sum);
      }
    }
    return new DemoReport(name(), options.seed(), DemoReport.passed(promises), promises, messages, load, engine,
        Map.of(), seconds, expected.size() / seconds);
  }
}
