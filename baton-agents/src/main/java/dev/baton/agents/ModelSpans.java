package dev.baton.agents;

import dev.baton.spi.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapSetter;
import java.net.URI;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the spans of model calls (docs/tracing.md). A model call is a CLIENT span "chat" (the GenAI semantic
 * conventions' operation name) with http.* and server.* attributes, a child of the turn's span (or of the tool
 * call it runs in); the openai agent's HTTP request carries its W3C traceparent (and tracestate), injected with
 * the W3C propagator. The tracer comes with the context (Tracing.tracer): outside a traced turn every method
 * returns null or does nothing at its first line. No prompt or answer text is ever an attribute.
 * Concurrency: stateless.
 */
/** Spans of model calls; null (nothing made) when the turn is not traced. Public for the LangChain4j agent. */
public final class ModelSpans {

  static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> SERVER = AttributeKey.stringKey("server.address");
  static final AttributeKey<Long> PORT = AttributeKey.longKey("server.port");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<String> AGENT = AttributeKey.stringKey("baton.agent");

  private static final TextMapSetter<java.net.http.HttpRequest.Builder> HEADERS = (rb, k, v) -> {
    if (rb != null) rb.setHeader(k, v);
  };

  private ModelSpans() {}

  /** Starts the span of one model call by {@code agent} (openai, langchain4j); null when not traced. */
  public static @Nullable Span start(String agent) {
    Tracer t = Tracing.tracer();
    if (t == null) return null;
    return t.spanBuilder("chat").setSpanKind(SpanKind.CLIENT).setAttribute(OPERATION, "chat")
        .setAttribute(AGENT, agent).startSpan();
  }

  /** The HTTP attributes of {@code uri}'s request on {@code span}, and its traceparent injected into {@code rb}. */
  static void http(@Nullable Span span, String method, URI uri, java.net.http.HttpRequest.Builder rb) {
    if (span == null) return;
    span.setAttribute(METHOD, method);
    if (uri.getHost() != null) span.setAttribute(SERVER, uri.getHost());
    if (uri.getPort() > 0) span.setAttribute(PORT, (long) uri.getPort());
    W3CTraceContextPropagator.getInstance().inject(Context.current().with(span), rb, HEADERS);
  }

  static void status(@Nullable Span span, int status) {
    if (span == null) return;
    span.setAttribute(STATUS, (long) status);
    if (status >= 400) {
      span.setStatus(StatusCode.ERROR);
      span.setAttribute(ERROR_TYPE, Integer.toString(status));
    }
  }

  /** Ends {@code span}; {@code failure} (may be null) sets its error type. */
  public static void end(@Nullable Span span, @Nullable Throwable failure) {
    if (span == null) return;
    if (failure != null) {
      span.setStatus(StatusCode.ERROR);
      span.setAttribute(ERROR_TYPE, failure.getClass().getName());
    }
    span.end();
  }
}
