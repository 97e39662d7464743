package dev.baton.internal.engine;

import dev.baton.spi.Tracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

/*
 * Overview: the engine's spans (docs/tracing.md): baton.journal.insert around store.ingest, baton.queue.wait
 * per message (admission to turn start, recorded when the turn starts) and baton.turn. A message's Context is
 * captured when it is admitted (QueuedMessage.trace) and is the parent of its queue wait and of the turn that
 * runs it first; the turn links every other message of its batch. Off (OpenTelemetry.noop(), the default):
 * `on` is false and every method returns at its first line, so the message path allocates nothing for tracing.
 * Concurrency: immutable; thread-safe.
 */
/** The engine's tracing: off unless an OpenTelemetry was given to the builder. */
final class EngineTracing {

  static final AttributeKey<String> CHANNEL = AttributeKey.stringKey("baton.channel");
  static final AttributeKey<String> USER_HASH = AttributeKey.stringKey("baton.user.hash");
  static final AttributeKey<String> QUEUE_MODE = AttributeKey.stringKey("baton.queue_mode");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("baton.outcome");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<Long> TURN_SEQ = AttributeKey.longKey("baton.turn.seq");
  static final AttributeKey<Long> BATCH = AttributeKey.longKey("baton.turn.messages");

  static final EngineTracing OFF = new EngineTracing(OpenTelemetry.noop());

  final boolean on;
  private final Tracer tracer;

  EngineTracing(OpenTelemetry otel) {
    this.on = Tracing.enabled(otel);
    this.tracer = Tracing.tracer(otel);
  }

  /** The context a fresh message is admitted under (its ingress span, if any); root when off. */
  Context capture() {
    return on ? Context.current() : Context.root();
  }

  /** Runs the journal insert in a span {@code baton.journal.insert}; outcome = the ingest result's kind. */
  <T> T journalInsert(String channel, Supplier<T> ingest) {
    if (!on) return ingest.get();
    Span span = tracer.spanBuilder("baton.journal.insert").setAttribute(CHANNEL, channel).startSpan();
    try (var s = span.makeCurrent()) {
      T r = ingest.get();
      span.setAttribute(OUTCOME, r.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT));
      return r;
    } catch (RuntimeException e) {
      failed(span, e);
      throw e;
    } finally {
      span.end();
    }
  }

  /**
   * Starts the span of a turn: parent the first message's context, links to the other messages' spans, one
   * {@code baton.queue.wait} span per message (it waited {@code startNanos - arrivalNanos}). Returns null when off.
   */
  @org.jspecify.annotations.Nullable Span startTurn(List<QueuedMessage> batch, long startNanos, String queueMode) {
    if (!on) return null;
    Instant now = Instant.now();
    for (QueuedMessage p : batch) {
      long waited = Math.max(0, startNanos - p.arrivalNanos);
      tracer.spanBuilder("baton.queue.wait").setParent(p.trace)
          .setStartTimestamp(now.minusNanos(waited)).setAttribute(QUEUE_MODE, queueMode)
          .setAttribute(CHANNEL, p.entry.message().channel()).startSpan().end(now);
    }
    QueuedMessage first = batch.getFirst();
    SpanBuilder b = tracer.spanBuilder("baton.turn").setParent(first.trace)
        .setAttribute(CHANNEL, first.entry.message().channel())
        .setAttribute(USER_HASH, Tracing.hashUser(first.entry.message().sender()))
        .setAttribute(QUEUE_MODE, queueMode).setAttribute(BATCH, (long) batch.size());
    for (int i = 1; i < batch.size(); i++) {
      SpanContext other = Span.fromContext(batch.get(i).trace).getSpanContext();
      if (other.isValid()) b.addLink(other);
    }
    return b.startSpan();
  }

  /** The context the turn runs in: its span current, the tracer carried for the tool runtime and the agent. */
  Context turnContext(Span turn) {
    return Tracing.with(Context.current(), turn, tracer);
  }

  static void failed(Span span, Throwable e) {
    span.setStatus(StatusCode.ERROR);
    span.setAttribute(ERROR_TYPE, e.getClass().getName());
  }
}
