package dev.baton.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The engine's spans (docs/tracing.md): a message submitted under a span (the gateway's ingress) gets its journal
 * insert, queue wait and turn below that span, on the turn's virtual thread the span is current and the MDC's
 * baton.trace is its trace id; without an OpenTelemetry nothing is traced and baton.trace stays a random id.
 */
class EngineTracingTest {

  record Seen(String mdcTrace, String spanTrace, String spanId) {}

  @Test
  void aMessagesSpansHangBelowTheSpanItWasSubmittedUnderAndTheMdcShowsItsTraceId() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(
            SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        Baton baton = Baton.builder().openTelemetry(otel).agent(turn -> {
          seen.add(new Seen(MDC.get(Mdc.TRACE), Span.current().getSpanContext().getTraceId(),
              Span.current().getSpanContext().getSpanId()));
          turn.reply("ok");
        }).build()) {
      Tracer tracer = otel.getTracer("test");
      Span ingress = tracer.spanBuilder("ingress").startSpan();
      try (Scope s = ingress.makeCurrent()) {
        baton.submit(InboundMessage.of("api", "m-1", "bob", "private words", Instant.now()));
      } finally {
        ingress.end();
      }
      SpanData turn = await(spans, "baton.turn");
      List<SpanData> all = spans.getFinishedSpanItems();
      String trace = ingress.getSpanContext().getTraceId();
      assertThat(all).extracting(SpanData::getTraceId).containsOnly(trace);
      assertThat(turn.getParentSpanId()).isEqualTo(ingress.getSpanContext().getSpanId());
      assertThat(all).filteredOn(d -> d.getName().equals("baton.journal.insert")).singleElement()
          .satisfies(d -> assertThat(d.getParentSpanId()).isEqualTo(ingress.getSpanContext().getSpanId()));
      assertThat(all).filteredOn(d -> d.getName().equals("baton.queue.wait")).singleElement()
          .satisfies(d -> assertThat(d.getParentSpanId()).isEqualTo(ingress.getSpanContext().getSpanId()));
      assertThat(seen).singleElement().satisfies(x -> {
        assertThat(x.mdcTrace()).isEqualTo(trace);
        assertThat(x.spanTrace()).isEqualTo(trace);
        assertThat(x.spanId()).isEqualTo(turn.getSpanId());
      });
      for (SpanData d : all) {
        assertThat(d.getAttributes().asMap().values()).allSatisfy(v ->
            assertThat(String.valueOf(v)).doesNotContain("private").isNotEqualTo("bob"));
      }
    }
  }

  @Test
  void withoutAnOpenTelemetryNothingIsTracedAndTheMdcTraceIdIsRandom() throws Exception {
    Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    try (Baton baton = Baton.builder().agent(turn -> {
          seen.add(new Seen(MDC.get(Mdc.TRACE), Span.current().getSpanContext().getTraceId(), ""));
          turn.reply("ok");
          done.countDown();
        }).build()) {
      baton.submit(InboundMessage.of("api", "m-1", "bob", "hi", Instant.now()));
      assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(seen).singleElement().satisfies(x -> {
      assertThat(x.mdcTrace()).matches("[0-9a-f]{32}").isNotEqualTo("00000000000000000000000000000000");
      assertThat(Span.getInvalid().getSpanContext().getTraceId()).isEqualTo(x.spanTrace());
    });
  }

  /**
   * queue_mode collect: two messages queued behind a running turn run as one turn, the child of the first one's
   * trace with a span link to the second's; each keeps its own queue wait in its own trace.
   */
  @Test
  void aBatchedTurnIsInItsFirstMessagesTraceAndLinksTheOthers() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    java.util.concurrent.CountDownLatch firstRuns = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    dev.baton.config.BatonConfig cfg = new dev.baton.config.ConfigLoader(java.util.Map.of())
        .parse("agent:\n  concurrency:\n    queue_mode: collect\n", "<test>");
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(
            SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
        Baton baton = Baton.builder().config(cfg).openTelemetry(otel).agent(turn -> {
          if (turn.messages().getFirst().text().equals("first")) {
            firstRuns.countDown();
            if (!release.await(10, TimeUnit.SECONDS)) throw new IllegalStateException("never released");
          }
          turn.reply("ok");
        }).build()) {
      Tracer tracer = otel.getTracer("test");
      baton.submit(InboundMessage.of("api", "m-0", "bob", "first", Instant.now()));
      assertThat(firstRuns.await(10, TimeUnit.SECONDS)).isTrue();
      Span a = tracer.spanBuilder("ingress-a").startSpan();
      try (Scope s = a.makeCurrent()) {
        baton.submit(InboundMessage.of("api", "m-1", "bob", "second", Instant.now()));
      } finally {
        a.end();
      }
      Span b = tracer.spanBuilder("ingress-b").startSpan();
      try (Scope s = b.makeCurrent()) {
        baton.submit(InboundMessage.of("api", "m-2", "bob", "third", Instant.now()));
      } finally {
        b.end();
      }
      release.countDown();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (spans.getFinishedSpanItems().stream().filter(d -> d.getName().equals("baton.turn")).count() < 2
          && System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      List<SpanData> turns = spans.getFinishedSpanItems().stream().filter(d -> d.getName().equals("baton.turn"))
          .toList();
      assertThat(turns).hasSize(2);
      SpanData batched = turns.stream().filter(d -> d.getTraceId().equals(a.getSpanContext().getTraceId()))
          .findFirst().orElseThrow();
      assertThat(batched.getParentSpanId()).isEqualTo(a.getSpanContext().getSpanId());
      assertThat(batched.getAttributes().get(EngineTracing.BATCH)).isEqualTo(2L);
      assertThat(batched.getLinks()).singleElement()
          .satisfies(l -> assertThat(l.getSpanContext()).isEqualTo(b.getSpanContext()));
      assertThat(spans.getFinishedSpanItems()).filteredOn(d -> d.getName().equals("baton.queue.wait"))
          .extracting(SpanData::getParentSpanId).contains(a.getSpanContext().getSpanId(), b.getSpanContext().getSpanId());
    }
  }

  /**
   * docs/tracing.md, "Recovery": the trace context lives in memory only, so a message run after a restart (here:
   * a shutdown cancelled its turn, a new engine on the same store recovers it) starts a new trace with a root turn.
   */
  @Test
  void aMessageRecoveredAfterARestartStartsANewTrace() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    dev.baton.internal.store.MemoryStore store = new dev.baton.internal.store.MemoryStore();
    java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(
            SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build()) {
      Tracer tracer = otel.getTracer("test");
      Span ingress = tracer.spanBuilder("ingress").startSpan();
      Baton first = Baton.builder().store(store).openTelemetry(otel).agent(turn -> {
        running.countDown();
        Thread.sleep(60_000); // interrupted by the shutdown below
      }).build();
      try (Scope s = ingress.makeCurrent()) {
        first.submit(InboundMessage.of("api", "m-1", "bob", "hi", Instant.now()));
      } finally {
        ingress.end();
      }
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      first.shutdown(java.time.Duration.ZERO); // the turn is cancelled without a commit: m-1 stays unfinished
      // the cancelled turn's span may end after shutdown returns: wait for it, or it is taken for the recovered one
      assertThat(await(spans, "baton.turn").getTraceId()).isEqualTo(ingress.getSpanContext().getTraceId());
      spans.reset();
      // Built while an unrelated span is current: recovery must not hang the recovered turn below it.
      Span unrelated = tracer.spanBuilder("starting-up").startSpan();
      Baton second;
      try (Scope s = unrelated.makeCurrent()) {
        second = Baton.builder().store(store).openTelemetry(otel).agent(turn -> turn.reply("ok")).build();
      } finally {
        unrelated.end();
      }
      try (second) {
        SpanData turn = await(spans, "baton.turn");
        assertThat(turn.getTraceId()).isNotEqualTo(unrelated.getSpanContext().getTraceId());
        assertThat(turn.getParentSpanContext().isValid()).isFalse();
        assertThat(turn.getTraceId()).isNotEqualTo(ingress.getSpanContext().getTraceId());
      }
    }
  }

  static SpanData await(InMemorySpanExporter spans, String name) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < until) {
      for (SpanData d : spans.getFinishedSpanItems()) if (d.getName().equals(name)) return d;
      Thread.onSpinWait();
    }
    throw new AssertionError("no span " + name + " in " + spans.getFinishedSpanItems());
  }
}
