package dev.baton.gateway.internal;

import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.DeliveryConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview: delivers replies to the platforms, one lane per session. A lane is a FIFO queue with at most
 * one drainer (a virtual thread) at a time, so a session's replies go out in outboxSeq order while
 * sessions proceed in parallel. A transient failure is retried with exponential backoff, or after the
 * platform's Retry-After; the waits are CompletableFutures completed by the injected Scheduler (P4).
 * After max_attempts the reply is given up: counted, logged (without secrets), and marked delivered so it
 * does not block its session forever.
 * Concurrency: enqueue() is thread-safe and never blocks for long. Each lane's queue is guarded by a short
 * ReentrantLock (never held while delivering): the enqueuer that finds no drainer starts one; the drainer
 * takes each reply under the lock, and when it finds the queue empty (under the same lock, so no enqueue
 * can slip in between) it retires the lane and unmaps it, so idle sessions cost nothing. An enqueuer
 * that meets a retired lane takes the session's new one; the old drainer has already left, so a session
 * never has two drainers and its order holds.
 * Failure: stop() makes drainers leave at the next wait; what they did not deliver stays undelivered in
 * the store and is offered again after a restart.
 *
 * Streams (P10): live() puts a running turn's partial text into the same lane, behind what is queued there, so
 * partial and final text are never reordered. A lane keeps one Stream per open stream (at most
 * Store.MAX_ANCHORS_PER_SESSION, the oldest dropped first): its text so far, capped at the channel's preview
 * limit, and at most one queued preview item however many deltas arrive (later deltas merge into the text), so
 * memory per stream is bounded by the platform's message limit. The drainer shows a preview only when the
 * chat's throttle slot is free (ChatThrottle, stream_edit_interval_ms, timed by the Scheduler); until then it
 * waits, woken early by a final reply, which supersedes a queued preview of its stream (the preview is
 * dropped). A preview is never retried: under a 429 its text stays merged in the stream and the chat's slot
 * moves past Retry-After; a final reply goes through the retry machinery above and is always delivered (or
 * given up after max_attempts, as every reply). A preview that created a platform message stores its anchor
 * (Store.putAnchor); the final reply of the stream, or a re-run's preview, looks it up (memory first, then
 * Store.anchor) and edits that message; the anchor is removed once the final reply is delivered. A lane with
 * open streams stays mapped while idle (its drainer leaves); its streams go when their final is delivered, when
 * a reply of their turn that is no stream's final is delivered (the agent left them unfinished), or after the
 * stream TTL (agent.turn_timeout_ms) without a delta, checked at most once per TTL on the next delivery call. A preview never holds
 * up a final queued behind it: the waiting preview is dropped.
 */
final class OutboundDelivery {

  /** Sends one reply to its platform; must not throw for a platform failure. */
  public interface Sink {
    SendOutcome send(Reply reply);
  }

  /**
   * A sink that shows a stream's partial text (P10). Called by one drainer at a time per session, with the
   * stream's {@link StreamView}; must not throw for a platform failure.
   */
  public interface StreamSink extends Sink {
    /** Whether partial text is shown at all (false: deltas are ignored, the final reply goes out by send). */
    boolean streaming();

    /** The most characters a preview shows (the platform's message limit); later text waits for the final. */
    int previewLimit();

    /** The shortest time between two preview updates of one chat. */
    Duration editInterval();

    /**
     * Shows {@code text} (the stream's text so far) as the preview; sets {@code view.anchor} when it created a
     * platform message. Delivered: shown; Retry: not shown, never retried (the text stays merged); Failed: the
     * stream shows no more previews.
     */
    SendOutcome preview(StreamView view, String text);

    /**
     * Delivers a streamed final reply, editing {@code view.anchor} when there is one; may be called again after
     * Retry (the view keeps what already succeeded).
     */
    SendOutcome sendFinal(Reply reply, StreamView view);
  }

  private static final Logger log = LoggerFactory.getLogger(OutboundDelivery.class);

  private final Map<String, Sink> sinks;
  private final Consumer<Runnable> starter;
  private final Store store;
  private final Scheduler scheduler;
  private final DeliveryConfig cfg;
  private final MeterRegistry meters;
  private final ConcurrentHashMap<SessionKey, Lane> lanes = new ConcurrentHashMap<>();
  private final ChatThrottle throttle = new ChatThrottle();
  /**
   * How long an open stream is kept without a delta or its final (agent.turn_timeout_ms: by then its turn has
   * ended; a stream left unfinished, e.g. one the agent opened and then answered with a plain reply, goes).
   */
  private volatile long streamTtlNanos = Duration.ofMinutes(2).toNanos();
  /** When the next sweep of stale streams may run (Scheduler nanos). */
  private final java.util.concurrent.atomic.AtomicLong nextSweepNanos = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);
  /** Whether the store refused putAnchor (a store without anchors): logged once, then not asked again. */
  private volatile boolean anchorsUnsupported;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final ReentrantLock idleLock = new ReentrantLock();
  // Guarded by idleLock.
  private long pending;
  private CompletableFuture<Void> idle = CompletableFuture.completedFuture(null);

  public OutboundDelivery(Map<String, Sink> sinks, Store store, Scheduler scheduler, DeliveryConfig cfg,
      MeterRegistry meters) {
    this(sinks, store, scheduler, cfg, meters, drainer -> Thread.ofVirtual().name("baton-delivery").start(drainer));
  }

  /** With {@code starter} running each lane's drainer (a virtual thread; model-checking tests run it inline). */
  OutboundDelivery(Map<String, Sink> sinks, Store store, Scheduler scheduler, DeliveryConfig cfg,
      MeterRegistry meters, Consumer<Runnable> starter) {
    this.starter = starter;
    this.sinks = Map.copyOf(sinks);
    this.store = store;
    this.scheduler = scheduler;
    this.cfg = cfg;
    this.meters = meters;
  }

  /** The console's timeline (with admin.token), told of each delivery attempt; null (one check) without. */
  private volatile @Nullable ConsoleTimeline timeline;

  void timeline(ConsoleTimeline t) {
    this.timeline = t;
  }

  /** Sets how long an open stream without a delta or a final is kept (the engine's turn timeout). */
  void streamTtl(Duration ttl) {
    streamTtlNanos = ttl.toNanos();
  }

  public boolean handles(String channel) {
    return sinks.containsKey(channel);
  }

  /** Whether {@code channel} shows partial text (its sink streams); else its deltas are ignored. */
  public boolean streams(String channel) {
    return sinks.get(channel) instanceof StreamSink s && s.streaming();
  }

  /**
   * Queues partial text of a stream behind what its session's lane holds, merged into the stream's one pending
   * preview. Never blocks; ignored for a channel that does not stream or after stop().
   */
  public void live(LiveEvent.Delta d) {
    if (!(sinks.get(d.channel()) instanceof StreamSink sink) || !sink.streaming() || stopped.isDone()) return;
    sweepIfDue();
    while (true) {
      Lane lane = lanes.computeIfAbsent(d.session(), s -> new Lane());
      boolean start;
      lane.lock.lock();
      try {
        if (lane.retired) continue; // its drainer just left; take the session's new lane
        Stream s = lane.streams.get(d.streamId());
        if (s == null) {
          s = new Stream(new StreamView(d.session(), d.streamId(), d.channel(), d.chat(), d.routing()),
              sink.previewLimit());
          lane.streams.put(d.streamId(), s);
          if (lane.streams.size() > Store.MAX_ANCHORS_PER_SESSION) {
            Iterator<Stream> oldest = lane.streams.values().iterator();
            oldest.next().dropped = true;
            oldest.remove();
          }
        }
        s.lastNanos = scheduler.nanoTime();
        if (!s.merge(d) || s.queued) return; // nothing new to show, or merged into the queued preview
        s.queued = true;
        lane.queue.add(s);
        start = !lane.draining;
        lane.draining = true;
      } finally {
        lane.lock.unlock();
      }
      if (start) starter.accept(() -> drain(d.session(), lane));
      return;
    }
  }

  /** Queues a reply behind the earlier ones of its session. Never blocks. */
  public void enqueue(Reply reply) {
    sweepIfDue();
    idleLock.lock();
    try {
      if (pending++ == 0) idle = new CompletableFuture<>();
    } finally {
      idleLock.unlock();
    }
    while (true) {
      Lane lane = lanes.computeIfAbsent(reply.session(), s -> new Lane());
      boolean start;
      lane.lock.lock();
      try {
        if (lane.retired) continue; // its drainer just left; take the session's new lane
        lane.queue.add(new Final(reply, GatewayTracing.capture()));
        if (!reply.streamId().isEmpty()) {
          Stream s = lane.streams.get(reply.streamId());
          if (s != null) s.finalQueued = true; // its queued preview, if any, is superseded
        }
        if (lane.wake != null) lane.wake.complete(null); // a drainer waiting on the throttle looks again
        start = !lane.draining;
        lane.draining = true;
      } finally {
        lane.lock.unlock();
      }
      if (start) starter.accept(() -> drain(reply.session(), lane));
      return;
    }
  }

  private void drain(SessionKey session, Lane lane) {
    while (true) {
      Item item;
      String previewText = "";
      long waitUntil = 0;
      CompletableFuture<Void> wake = null;
      lane.lock.lock();
      try {
        item = lane.queue.peek();
        if (item == null) { // empty, checked under the enqueuers' lock
          lane.draining = false;
          if (lane.streams.isEmpty()) { // retire: an idle session costs no memory
            lane.retired = true;
            lanes.remove(session, lane);
          }
          return;
        }
        lane.wake = null;
        if (item instanceof Stream s) {
          if (s.finalQueued || s.dropped || s.broken || stopped.isDone()) { // superseded or not to be shown
            lane.queue.poll();
            s.queued = false;
            continue;
          }
          long now = scheduler.nanoTime();
          if (lane.queue.stream().anyMatch(i -> i instanceof Final)) {
            // A final waits behind this preview: previews never hold up a final (a Retry-After can push the
            // chat's next preview slot far out). The text is merged away; the finals show what counts.
            lane.queue.poll();
            s.queued = false;
            continue;
          }
          long free = throttle.reserve(chatKey(s.view), now, interval(s.view));
          if (free > now) {
            waitUntil = free;
            wake = new CompletableFuture<>();
            lane.wake = wake;
          } else {
            lane.queue.poll();
            s.queued = false;
            previewText = s.text.toString();
          }
        } else {
          lane.queue.poll();
        }
      } finally {
        lane.lock.unlock();
      }
      if (wake != null) {
        waitUntil(waitUntil, wake);
        continue;
      }
      switch (item) {
        case Stream s -> showPreview(lane, s, previewText);
        case Final f -> {
          if (!stopped.isDone()) { // else left undelivered in the store
            try (var traced = f.trace().makeCurrent()) { // the turn's context: its attempts' spans hang below it
              deliverFinal(lane, f.reply());
            }
          }
          idleLock.lock();
          try {
            if (--pending == 0) idle.complete(null);
          } finally {
            idleLock.unlock();
          }
        }
      }
    }
  }

  private static String chatKey(StreamView v) {
    return v.channel + "\u0000" + v.chat;
  }

  private long interval(StreamView v) {
    return sinks.get(v.channel) instanceof StreamSink s ? s.editInterval().toNanos() : 0;
  }

  /** Blocks until {@code deadline} (Scheduler nanos), {@code wake} or stop(). */
  private void waitUntil(long deadline, CompletableFuture<Void> wake) {
    Scheduler.Cancellable timer = scheduler.scheduleAt(deadline, () -> wake.complete(null));
    if (scheduler.nanoTime() >= deadline) wake.complete(null);
    CompletableFuture.anyOf(wake, stopped).join();
    timer.cancel();
  }

  private void showPreview(Lane lane, Stream s, String text) {
    StreamView view = s.view;
    if (!(sinks.get(view.channel) instanceof StreamSink sink)) return;
    recallAnchor(view);
    String before = view.anchor;
    SendOutcome out;
    try {
      out = sink.preview(view, text);
    } catch (RuntimeException e) {
      out = new SendOutcome.Failed("error: " + e.getClass().getSimpleName());
    }
    if (view.anchor != null && !view.anchor.equals(before)) putAnchor(view);
    switch (out) {
      case SendOutcome.Delivered d -> meters.counter("baton.gateway.stream.previews", "channel", view.channel)
          .increment();
      case SendOutcome.Retry r -> { // not retried: the text stays merged, the next update shows it all
        meters.counter("baton.gateway.stream.previews.skipped", "channel", view.channel).increment();
        r.retryAfter().ifPresent(after -> throttle.penalize(chatKey(view), scheduler.nanoTime(), after.toNanos()));
      }
      case SendOutcome.Failed f -> {
        meters.counter("baton.gateway.stream.previews.failed", "channel", view.channel).increment();
        log.info("stream preview refused, the final reply will follow: channel={} session={} last={}",
            view.channel, view.session, f.why());
        lane.lock.lock();
        try {
          s.broken = true;
        } finally {
          lane.lock.unlock();
        }
      }
    }
  }

  private void deliverFinal(Lane lane, Reply r) {
    if (r.streamId().isEmpty() || !(sinks.get(r.channel()) instanceof StreamSink sink)) {
      deliver(r, null);
      endTurnStreams(lane, r);
      return;
    }
    Stream s;
    lane.lock.lock();
    try {
      s = lane.streams.get(r.streamId());
    } finally {
      lane.lock.unlock();
    }
    StreamView view = s != null ? s.view
        : new StreamView(r.session(), r.streamId(), r.channel(), r.chat(), r.routing());
    recallAnchor(view);
    deliver(r, () -> sink.sendFinal(r, view));
    lane.lock.lock();
    try { // this stream and every older one of the session are over
      if (s != null && lane.streams.containsValue(s)) {
        Iterator<Stream> it = lane.streams.values().iterator();
        while (it.hasNext()) {
          Stream older = it.next();
          older.dropped = true;
          it.remove();
          if (older == s) break;
        }
      }
    } finally {
      lane.lock.unlock();
    }
    if (view.anchor != null) {
      try {
        store.removeAnchor(r.session(), r.streamId());
      } catch (RuntimeException e) {
        log.warn("could not remove a stream anchor: session={} ({})", r.session(), e.getClass().getSimpleName());
      }
    }
  }

  /**
   * A reply that is no stream's final was delivered: the streams of its turn (ids {@code <first message>#n}, and
   * every reply of a turn names its first message first in covers) that are still open were left unfinished by
   * the agent; a final of one of them that comes later in the same commit finds its anchor in the store.
   */
  private void endTurnStreams(Lane lane, Reply r) {
    String prefix = r.covers().getFirst() + "#";
    lane.lock.lock();
    try {
      lane.streams.values().removeIf(s -> {
        boolean ofTurn = s.view.streamId.startsWith(prefix) && !s.finalQueued;
        if (ofTurn) s.dropped = true;
        return ofTurn;
      });
    } finally {
      lane.lock.unlock();
    }
  }

  /**
   * At most once per stream TTL, on the first delivery call after it: drops the open streams that saw no delta
   * for the TTL (their turn has ended without their final) and unmaps the lanes left with nothing. Amortized over
   * traffic, with no timer: memory held by such streams is freed as soon as the gateway is used again.
   */
  private void sweepIfDue() {
    long now = scheduler.nanoTime();
    long due = nextSweepNanos.get();
    if (now < due || !nextSweepNanos.compareAndSet(due, now + streamTtlNanos)) return;
    for (Map.Entry<SessionKey, Lane> e : lanes.entrySet()) {
      Lane lane = e.getValue();
      lane.lock.lock();
      try {
        lane.streams.values().removeIf(st -> {
          boolean stale = !st.queued && !st.finalQueued && now - st.lastNanos >= streamTtlNanos;
          if (stale) st.dropped = true;
          return stale;
        });
        if (!lane.draining && !lane.retired && lane.queue.isEmpty() && lane.streams.isEmpty()) {
          lane.retired = true;
          lanes.remove(e.getKey(), lane);
        }
      } finally {
        lane.lock.unlock();
      }
    }
  }

  /** The anchor a run before a restart stored for the stream, once per view. */
  private void recallAnchor(StreamView view) {
    if (view.anchor != null || view.lookedUp) return;
    view.lookedUp = true;
    try {
      Optional<String> a = store.anchor(view.session, view.streamId);
      if (a.isPresent()) {
        view.anchor = a.get();
        view.recovered = true;
      }
    } catch (RuntimeException e) {
      log.warn("could not read a stream anchor: session={} ({})", view.session, e.getClass().getSimpleName());
    }
  }

  private void putAnchor(StreamView view) {
    String anchor = view.anchor;
    if (anchor == null || anchorsUnsupported) return;
    try {
      store.putAnchor(view.session, view.streamId, anchor);
    } catch (UnsupportedOperationException e) {
      anchorsUnsupported = true;
      log.warn("the store keeps no stream anchors: after a crash a re-run turn cannot edit its preview");
    } catch (RuntimeException e) {
      log.warn("could not store a stream anchor: session={} ({})", view.session, e.getClass().getSimpleName());
    }
  }

  /** Sends {@code r} with retries; {@code attempt} (or the channel's send) makes one attempt. */
  private void deliver(Reply r, @Nullable Supplier<SendOutcome> attempt) {
    Sink sink = sinks.get(r.channel());
    if (sink == null) {
      giveUp(r, 0, "no such channel");
      return;
    }
    Supplier<SendOutcome> once = attempt != null ? attempt : () -> sink.send(r);
    ConsoleTimeline t = timeline;
    SendOutcome last = null;
    for (int n = 1; n <= cfg.maxAttempts(); n++) {
      int attemptNo = n;
      try {
        last = GatewayTracing.attempt(io.opentelemetry.context.Context.current(), r, attemptNo, once);
      } catch (RuntimeException e) {
        last = new SendOutcome.Retry("error: " + e.getClass().getSimpleName(), java.util.Optional.empty());
      }
      switch (last) {
        case SendOutcome.Delivered d -> {
          if (t != null) t.delivery(r, attemptNo, "delivered", "");
          meters.counter("baton.gateway.delivery.delivered", "channel", r.channel()).increment();
          markDelivered(r);
          return;
        }
        case SendOutcome.Failed f -> {
          if (t != null) t.delivery(r, attemptNo, "failed", f.why());
          giveUp(r, attemptNo, f.why());
          return;
        }
        case SendOutcome.Retry retry -> {
          if (t != null) t.delivery(r, attemptNo, attemptNo == cfg.maxAttempts() ? "given_up" : "retry", retry.why());
          if (attemptNo == cfg.maxAttempts()) break;
          meters.counter("baton.gateway.delivery.retried", "channel", r.channel()).increment();
          Duration delay = retry.retryAfter().orElseGet(() -> backoff(attemptNo));
          if (!pause(delay)) return; // stopping: stays undelivered in the store
        }
      }
    }
    giveUp(r, cfg.maxAttempts(), last instanceof SendOutcome.Retry rt ? rt.why() : "unknown");
  }

  Duration backoff(int attempt) {
    long ms = cfg.initialBackoffMs() << Math.min(attempt - 1, 20);
    return Duration.ofMillis(Math.min(ms, cfg.maxBackoffMs()));
  }

  private boolean pause(Duration delay) {
    CompletableFuture<Void> wake = new CompletableFuture<>();
    Scheduler.Cancellable timer = scheduler.schedule(delay, () -> wake.complete(null));
    CompletableFuture.anyOf(wake, stopped).join();
    timer.cancel();
    return !stopped.isDone();
  }

  private void giveUp(Reply r, int attempts, String why) {
    meters.counter("baton.gateway.delivery.failed", "channel", r.channel()).increment();
    log.warn("reply delivery gave up: channel={} session={} outbox_seq={} attempts={} last={}", r.channel(),
        r.session(), r.outboxSeq(), attempts, why);
    markDelivered(r);
  }

  private void markDelivered(Reply r) {
    if (r.outboxSeq() <= 0) return; // not an outbox reply (no sequence number): nothing to mark
    try {
      store.markDelivered(r.session(), r.outboxSeq());
    } catch (RuntimeException e) {
      log.warn("could not mark reply delivered: session={} outbox_seq={} ({})", r.session(), r.outboxSeq(),
          e.getClass().getSimpleName());
    }
  }

  /** Waits (blocking) until nothing is queued or {@code deadline} passes, by the Scheduler's clock. */
  public boolean awaitIdle(Duration deadline) {
    CompletableFuture<Void> done;
    idleLock.lock();
    try {
      done = idle;
    } finally {
      idleLock.unlock();
    }
    if (done.isDone()) return true;
    if (deadline.isZero() || deadline.isNegative()) return false;
    CompletableFuture<Void> late = new CompletableFuture<>();
    Scheduler.Cancellable timer = scheduler.schedule(deadline, () -> late.complete(null));
    CompletableFuture.anyOf(done, late).join();
    timer.cancel();
    return done.isDone();
  }

  /** Makes every drainer stop at its next wait; undelivered replies stay in the store. */
  public void stop() {
    stopped.complete(null);
  }

  public long pending() {
    idleLock.lock();
    try {
      return pending;
    } finally {
      idleLock.unlock();
    }
  }

  private static final class Lane {
    final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock: the queue, whether a drainer runs, whether it left for good (then unmapped), the open
    // streams (insertion order: oldest first) and the future a drainer waiting on the throttle waits for.
    final ArrayDeque<Item> queue = new ArrayDeque<>();
    final LinkedHashMap<String, Stream> streams = new LinkedHashMap<>();
    @Nullable CompletableFuture<Void> wake;
    boolean draining;
    boolean retired;
  }

  /** What a lane queues: a final reply, or the one pending preview of a stream. */
  private sealed interface Item permits Final, Stream {}

  /** @param trace the context the reply was handed over in (tracing; root when not traced) */
  private record Final(Reply reply, io.opentelemetry.context.Context trace) implements Item {}

  /** An open stream of a lane; every field but {@link #view} is guarded by the lane's lock. */
  private static final class Stream implements Item {
    final StreamView view;
    final int limit;
    /** The text so far, at most {@link #limit} chars. */
    final StringBuilder text = new StringBuilder();
    /** Chars of the stream received (shown or not). */
    long received;
    /** Scheduler nanos of its last delta (the stream TTL counts from here). */
    long lastNanos;
    boolean queued;
    boolean finalQueued;
    boolean dropped;
    boolean broken;

    Stream(StreamView view, int limit) {
      this.view = view;
      this.limit = limit;
    }

    /** Merges a delta into the text; whether a preview should show something new. */
    boolean merge(LiveEvent.Delta d) {
      if (broken || finalQueued || dropped) return false;
      if (d.offset() == 0 && received > 0) { // the stream started over (a re-run of its turn): same anchor
        text.setLength(0);
        received = 0;
      }
      received += d.text().length();
      int room = limit - text.length();
      if (room <= 0 || d.text().isEmpty()) return false; // over the platform's limit: the final shows the rest
      int take = Math.min(room, d.text().length());
      if (take < d.text().length() && take > 0 && Character.isHighSurrogate(d.text().charAt(take - 1))) take--;
      if (take == 0) return false;
      text.append(d.text(), 0, take);
      return true;
    }
  }

  /** Preview items queued in {@code session}'s lane (at most one per open stream; for tests). */
  int queuedPreviews(SessionKey session) {
    Lane lane = lanes.get(session);
    if (lane == null) return 0;
    lane.lock.lock();
    try {
      return (int) lane.queue.stream().filter(i -> i instanceof Stream).count();
    } finally {
      lane.lock.unlock();
    }
  }

  /** The preview text held for {@code streamId} of {@code session}, or null (for tests). */
  @Nullable String previewText(SessionKey session, String streamId) {
    Lane lane = lanes.get(session);
    if (lane == null) return null;
    lane.lock.lock();
    try {
      Stream s = lane.streams.get(streamId);
      return s == null ? null : s.text.toString();
    } finally {
      lane.lock.unlock();
    }
  }

  /** Lanes currently mapped (sessions with replies queued or in flight). */
  int lanes() {
    return lanes.size();
  }
}
