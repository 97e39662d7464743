package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Baton;
import dev.baton.EngineSnapshot;
import dev.baton.config.BatonConfig;
import dev.baton.deadlock.DeadlockReport;
import dev.baton.deadlock.GraphSnapshot;
import dev.baton.spi.Scheduler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/*
 * Overview: what the console's live views show. Every TICK (by the Scheduler) one snapshot is built: the
 * engine's (running turns, queued messages, the busiest sessions), the meters (accepted/s, busy, expired,
 * failed, queue-wait and turn-time percentiles, deliveries per channel, cluster leases and permits), the admin
 * views (the tool runtime's wait-for graph and recent deadlocks), and the last HISTORY points of a few series
 * for the sparklines. It is written as JSON once and handed to every open console stream (ConsoleStream), which
 * only keeps the newest: a slow page skips snapshots, it never queues them. The timeline's events are recorded
 * as they happen (ConsoleTimeline, told by the engine, the tool runtime and the gateway); the tick only adds
 * the deadlocks it finds in the graph's recent list, and shows the running turns' age from the turns' real
 * start (ConsoleTimeline.runningSince; the first tick that saw the turn when the engine was built without the
 * console's observer).
 * Cost: one snapshot a second while at least one console page is open, nothing while none is (the ticker
 * stops with the last stream and starts with the next); on the message path only the timeline's appends.
 * So the sparklines cover the time a page was open; the timeline does not depend on it.
 * Concurrency: tick() runs on the Scheduler's thread (and once on a request's thread, for the first snapshot);
 * `lock` guards the history, the previous counters, the newest snapshot, the timer and the registration of
 * streams (a CopyOnWriteArrayList, at most admin.console_max_streams, read without the lock by tick()).
 */
final class ConsoleFeed {

  static final Duration TICK = Duration.ofSeconds(1);
  static final int HISTORY = 60;
  private static final Pattern SESSION_OF_PARTY = Pattern.compile("session ([^,)\\s]+)");

  private final BatonConfig config;
  private final Baton engine;
  private final MeterRegistry meters;
  private final Map<String, Supplier<Object>> views;
  private final Scheduler scheduler;
  final ConsoleTimeline timeline;
  private final CopyOnWriteArrayList<ConsoleStream> streams = new CopyOnWriteArrayList<>();

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock.
  private final ArrayDeque<double[]> history = new ArrayDeque<>();
  private double lastAccepted = Double.NaN;
  private long lastTickNanos;
  private byte @Nullable [] latest;
  /** Sessions seen with a running turn, and since when (Scheduler nanos, as first seen by a tick). */
  private Map<String, Long> runningSince = Map.of();
  private int seenDeadlocks;
  private Scheduler.@Nullable Cancellable timer;
  private boolean armed;
  private boolean closed;

  ConsoleFeed(BatonConfig config, Baton engine, MeterRegistry meters, Map<String, Supplier<Object>> views,
      Scheduler scheduler, ConsoleTimeline timeline) {
    this.config = config;
    this.engine = engine;
    this.meters = meters;
    this.views = new TreeMap<>(views);
    this.scheduler = scheduler;
    this.timeline = timeline;
    this.lastTickNanos = scheduler.nanoTime();
  }

  /** Nothing to start: the ticker runs only while a console page has its stream open (see open()). */
  void start() {}

  /** Runs a tick and sets the next one, while a stream is open; otherwise the ticker stops (no cost). */
  private void ticker() {
    lock.lock();
    try {
      armed = false;
      timer = null;
      if (closed || streams.isEmpty()) return;
    } finally {
      lock.unlock();
    }
    try {
      tick();
    } finally {
      schedule();
    }
  }

  /** Arms the next tick unless one is armed (the Scheduler is called outside the lock). */
  private void schedule() {
    lock.lock();
    try {
      if (closed || armed || streams.isEmpty()) return;
      armed = true;
    } finally {
      lock.unlock();
    }
    Scheduler.Cancellable t = scheduler.schedule(TICK, this::ticker);
    lock.lock();
    try {
      if (closed) {
        t.cancel();
      } else if (armed) {
        timer = t;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops the ticker and ends every stream. */
  void close() {
    Scheduler.Cancellable t;
    lock.lock();
    try {
      closed = true;
      t = timer;
    } finally {
      lock.unlock();
    }
    if (t != null) t.cancel();
    streams.forEach(ConsoleStream::close);
  }

  /** Registers a stream (starting the ticker if it is the first); false when console_max_streams are open. */
  boolean open(ConsoleStream s) {
    lock.lock();
    try {
      if (streams.size() >= config.admin().consoleMaxStreams()) return false;
      streams.add(s);
    } finally {
      lock.unlock();
    }
    schedule();
    return true;
  }

  /** Forgets a stream; with the last one gone the ticker stops at its next turn. */
  void remove(ConsoleStream s) {
    lock.lock();
    try {
      streams.remove(s);
    } finally {
      lock.unlock();
    }
  }

  int openStreams() {
    return streams.size();
  }

  /** The newest snapshot (built now if no tick ran yet). */
  byte[] latest() {
    lock.lock();
    try {
      if (latest != null) return latest;
    } finally {
      lock.unlock();
    }
    return tick();
  }

  /** Builds a snapshot, keeps it as the newest and hands it to every open stream. */
  byte[] tick() {
    EngineSnapshot snap = engine.snapshot();
    @Nullable GraphSnapshot graph = views.get("wait-for-graph") != null
        && views.get("wait-for-graph").get() instanceof GraphSnapshot g ? g : null;
    long now = scheduler.nanoTime();
    double accepted = sum("baton.gateway.admissions", "result", "accepted");
    ObjectNode out = JsonFields.newObject();
    out.put("at", scheduler.now().toString()).put("show_text", config.admin().showText());
    byte[] bytes;
    lock.lock();
    try {
      double secs = Math.max(1e-3, (now - lastTickNanos) / 1e9);
      double rate = Double.isNaN(lastAccepted) ? 0 : Math.max(0, (accepted - lastAccepted) / secs);
      lastAccepted = accepted;
      lastTickNanos = now;
      history.addLast(new double[] {rate, snap.runningTurns(), snap.queuedMessages()});
      if (history.size() > HISTORY) history.removeFirst();
      overview(out.putObject("overview"), snap, rate);
      observe(snap, graph, now);
      sessions(out.putArray("sessions"), snap, now);
      graph(out.putObject("graph"), graph);
      deliveries(out.putArray("deliveries"));
      cluster(out.putObject("cluster"));
      bytes = JsonFields.bytes(out);
      latest = bytes;
    } finally {
      lock.unlock();
    }
    for (ConsoleStream s : streams) s.offer(bytes);
    return bytes;
  }

  private void overview(ObjectNode o, EngineSnapshot snap, double rate) {
    double limit = gauge("baton.turns.limit");
    o.put("queue_mode", config.agent().concurrency().queueMode().name().toLowerCase(java.util.Locale.ROOT));
    o.put("accepted_per_s", round(rate)).put("running", snap.runningTurns())
        .put("limit", Double.isNaN(limit) ? config.agent().concurrency().maxConcurrentTotal() : (long) limit)
        .put("queued", snap.queuedMessages()).put("sessions", snap.sessions().size())
        .put("busy", (long) sum("baton.messages.busy")).put("expired", (long) sum("baton.messages.expired"))
        .put("failed", (long) sum("baton.turns.failed")).put("timeouts", (long) sum("baton.turns.timeouts"))
        .put("cancelled", (long) sum("baton.turns.cancelled"))
        .put("deadlocks", (long) sum("baton.deadlocks.detected"));
    percentiles(o, "queue_wait", meters.find("baton.queue.wait").timer());
    percentiles(o, "turn", meters.find("baton.turn.duration").timer());
    ArrayNode a = o.putArray("history_accepted");
    ArrayNode r = o.putArray("history_running");
    ArrayNode q = o.putArray("history_queued");
    for (double[] p : history) {
      a.add(round(p[0]));
      r.add((long) p[1]);
      q.add((long) p[2]);
    }
  }

  /** p50 and p99 in milliseconds from the timer's histogram (the upper bound of the bucket they fall in). */
  static void percentiles(ObjectNode o, String name, @Nullable Timer t) {
    if (t == null || t.count() == 0) {
      o.putNull(name + "_p50_ms").putNull(name + "_p99_ms");
      return;
    }
    HistogramSnapshot h = t.takeSnapshot();
    o.put(name + "_p50_ms", round(quantile(h, 0.50, t)));
    o.put(name + "_p99_ms", round(quantile(h, 0.99, t)));
  }

  static double quantile(HistogramSnapshot h, double q, Timer t) {
    for (var v : h.percentileValues()) {
      if (Math.abs(v.percentile() - q) < 1e-9) return v.value(TimeUnit.MILLISECONDS);
    }
    CountAtBucket[] buckets = h.histogramCounts();
    double need = q * h.count();
    for (CountAtBucket b : buckets) {
      if (b.count() >= need) return Math.min(b.bucket(TimeUnit.MILLISECONDS), h.max(TimeUnit.MILLISECONDS));
    }
    return t.max(TimeUnit.MILLISECONDS); // no buckets published: the max is the honest upper bound
  }

  private void sessions(ArrayNode list, EngineSnapshot snap, long now) {
    String mode = config.agent().concurrency().queueMode().name().toLowerCase(java.util.Locale.ROOT);
    long deadline = config.agent().turnTimeoutMs();
    for (EngineSnapshot.SessionView s : snap.sessions()) {
      ObjectNode o = list.addObject().put("session", s.session().value()).put("channel", s.session().channel())
          .put("queued", s.queued()).put("running", s.running()).put("class", s.sessionClass())
          .put("mode", mode).put("deadline_ms", deadline);
      java.time.Instant began = timeline.runningSince(s.session().value());
      Long since = runningSince.get(s.session().value());
      if (s.running() > 0 && began != null) {
        o.put("running_ms", Math.max(0, java.time.Duration.between(began, scheduler.now()).toMillis()));
      } else if (s.running() > 0 && since != null) {
        o.put("running_ms", (now - since) / 1_000_000L);
      }
    }
  }

  private void graph(ObjectNode o, @Nullable GraphSnapshot g) {
    if (g == null) {
      o.put("available", false);
      return;
    }
    o.put("available", true).put("total_waits", g.totalWaits());
    ArrayNode w = o.putArray("waits");
    for (DeadlockReport.Member m : g.waits()) member(w.addObject(), m);
    ArrayNode rc = o.putArray("running_calls");
    for (GraphSnapshot.RunningCall c : g.runningCalls()) {
      rc.addObject().put("party", c.party()).put("since", c.since().toString()).put("stuck", c.stuck());
    }
    List<DeadlockReport> recent = g.recentDeadlocks();
    ArrayNode d = o.putArray("deadlocks");
    for (DeadlockReport r : recent) {
      ObjectNode x = d.addObject().put("detected_at", r.detectedAt().toString()).put("via", r.via())
          .put("size", r.size()).put("victim", r.victim()).put("policy", r.policy())
          .put("latency_ms", round(r.latency().toNanos() / 1e6));
      ArrayNode c = x.putArray("cycle");
      for (DeadlockReport.Member m : r.cycle()) member(c.addObject(), m);
    }
  }

  private static void member(ObjectNode mo, DeadlockReport.Member m) {
    mo.put("party", m.party()).put("waits_for", m.waitsFor()).put("since", m.since().toString());
    m.blockedBy().forEach(mo.putArray("blocked_by")::add);
  }

  private void deliveries(ArrayNode list) {
    Map<String, ObjectNode> byChannel = new TreeMap<>();
    for (String what : List.of("delivered", "retried", "failed")) {
      for (Counter c : meters.find("baton.gateway.delivery." + what).counters()) {
        String ch = c.getId().getTag("channel");
        if (ch != null) byChannel.computeIfAbsent(ch, k -> JsonFields.newObject().put("channel", k))
            .put(what, (long) c.count());
      }
    }
    for (Counter c : meters.find("baton.gateway.admissions").counters()) {
      String ch = c.getId().getTag("channel");
      String result = c.getId().getTag("result");
      if (ch != null && result != null) {
        byChannel.computeIfAbsent(ch, k -> JsonFields.newObject().put("channel", k)).withObject("admissions")
            .put(result, (long) c.count());
      }
    }
    byChannel.values().forEach(list::add);
  }

  private void cluster(ObjectNode o) {
    var c = config.cluster();
    o.put("enabled", c.enabled());
    if (!c.enabled()) return;
    o.put("node_id", c.nodeId()).put("max_concurrent_total", c.maxConcurrentTotal())
        .put("leases", (long) nan0(gauge("baton.cluster.leases")))
        .put("permits", (long) nan0(gauge("baton.cluster.permits")))
        .put("fenced", (long) sum("baton.cluster.fenced"));
  }

  /**
   * Keeps when each running turn was first seen (the age shown when the engine does not tell the timeline) and
   * adds the deadlocks found since the last tick to the timeline. Turns, tool calls and lock waits are not
   * sampled here: the engine and the tool runtime tell the timeline of each as it happens.
   */
  private void observe(EngineSnapshot snap, @Nullable GraphSnapshot g, long now) {
    Map<String, Long> running = new java.util.HashMap<>();
    for (EngineSnapshot.SessionView s : snap.sessions()) {
      if (s.running() > 0) {
        Long since = runningSince.get(s.session().value());
        running.put(s.session().value(), since == null ? now : since);
      }
    }
    runningSince = running;
    if (g == null) return;
    List<DeadlockReport> recent = g.recentDeadlocks();
    if (recent.size() < seenDeadlocks) seenDeadlocks = 0;
    for (DeadlockReport r : recent.subList(Math.min(seenDeadlocks, recent.size()), recent.size())) {
      for (DeadlockReport.Member m : r.cycle()) {
        String s = sessionOf(m.party());
        if (s != null) timeline.record(s, "deadlock", "in a cycle of " + r.size() + "; victim " + r.victim(), "");
      }
    }
    seenDeadlocks = recent.size();
  }

  static @Nullable String sessionOf(String party) {
    Matcher m = SESSION_OF_PARTY.matcher(party);
    return m.find() ? m.group(1) : null;
  }

  /** The timeline of one session as JSON. */
  byte[] timelineOf(String session) {
    ObjectNode out = JsonFields.newObject().put("session", session).put("show_text", config.admin().showText());
    ArrayNode list = out.putArray("events");
    for (ConsoleTimeline.Event e : timeline.of(session)) {
      list.addObject().put("at", e.at().toString()).put("kind", e.kind()).put("detail", e.detail())
          .put("text", e.text());
    }
    return JsonFields.bytes(out);
  }

  private double sum(String name, String... tag) {
    double total = 0;
    for (Counter c : meters.find(name).counters()) {
      if (tag.length == 2 && !tag[1].equals(c.getId().getTag(tag[0]))) continue;
      total += c.count();
    }
    return total;
  }

  private double gauge(String name) {
    Gauge g = meters.find(name).gauge();
    return g == null ? Double.NaN : g.value();
  }

  private static double nan0(double d) {
    return Double.isNaN(d) ? 0 : d;
  }

  static double round(double d) {
    return Math.round(d * 100) / 100.0;
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
