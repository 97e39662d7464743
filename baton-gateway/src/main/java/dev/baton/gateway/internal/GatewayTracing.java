package dev.baton.gateway.internal;

import dev.baton.Admission;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.spi.Tracing;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the gateway's spans (docs/tracing.md). The ingress span (SERVER, "POST /v1/messages",
 * "POST /webhooks/telegram", ...) is made by a routing filter around the handler of every message-carrying
 * POST, as the child of the request's W3C traceparent/tracestate when it has a valid one (a malformed header
 * is ignored: the span is a new root) and current while the handler runs, so the engine's journal insert and
 * the message's queued context hang below it. Ingress adds the channel, the hashed sender and the admission.
 * Each delivery attempt of a reply (baton.delivery) is a child of the context its reply was handed over in
 * (the turn's span, carried by the Final on its lane). Off (OpenTelemetry.noop()): no filter is installed and
 * every other method returns at its first line. Concurrency: immutable; thread-safe.
 */
/** The gateway's tracing: off unless an OpenTelemetry was given to the Gateway builder. */
final class GatewayTracing {

  static final AttributeKey<String> CHANNEL = AttributeKey.stringKey("baton.channel");
  static final AttributeKey<String> USER_HASH = AttributeKey.stringKey("baton.user.hash");
  static final AttributeKey<String> ADMISSION = AttributeKey.stringKey("baton.admission");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("baton.outcome");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("baton.delivery.attempt");
  static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");

  static final GatewayTracing OFF = new GatewayTracing(OpenTelemetry.noop());

  private static final List<String> INGRESS = List.of("/v1/messages", "/webhooks/telegram", "/webhooks/slack",
      "/webhooks/discord", "/webhooks/whatsapp");

  private static final TextMapGetter<RoutingRequest> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(RoutingRequest req) {
      return List.of("traceparent", "tracestate");
    }

    @Override
    public @Nullable String get(@Nullable RoutingRequest req, String key) {
      return req == null ? null : req.headers().first(HeaderNames.create(key)).orElse(null);
    }
  };

  final boolean on;
  private final Tracer tracer;

  GatewayTracing(OpenTelemetry otel) {
    this.on = Tracing.enabled(otel);
    this.tracer = Tracing.tracer(otel);
  }

  /** The ingress filter, or null when off (then no route pays anything). */
  @Nullable Filter ingressFilter() {
    if (!on) return null;
    return this::ingress;
  }

  private void ingress(FilterChain chain, RoutingRequest req, RoutingResponse res) {
    String path = req.path().path();
    if (!"POST".equals(req.prologue().method().text()) || !INGRESS.contains(path)) {
      chain.proceed();
      return;
    }
    // W3C only (whatever propagators the given OpenTelemetry has): a bad header yields an invalid context.
    Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), req, HEADERS);
    Span span = tracer.spanBuilder("POST " + path).setParent(parent).setSpanKind(SpanKind.SERVER)
        .setAttribute(METHOD, "POST").setAttribute(ROUTE, path)
        .setAttribute(URL_SCHEME, req.isSecure() ? "https" : "http").startSpan();
    try (Scope s = Tracing.with(parent, span, tracer).makeCurrent()) {
      chain.proceed();
    } catch (RuntimeException | Error e) {
      span.setStatus(StatusCode.ERROR);
      span.setAttribute(ERROR_TYPE, e.getClass().getName());
      throw e;
    } finally {
      int code = res.status().code();
      span.setAttribute(STATUS, (long) code);
      if (code >= 500) {
        span.setStatus(StatusCode.ERROR);
        span.setAttribute(ERROR_TYPE, Integer.toString(code));
      }
      span.end();
    }
  }

  /** Ingress: the channel, hashed sender and admission on the current (ingress) span. */
  static void admitted(InboundMessage m, Admission a) {
    Span span = Span.current();
    if (!span.getSpanContext().isValid()) return; // not traced: nothing to add
    span.setAttribute(CHANNEL, m.channel());
    span.setAttribute(USER_HASH, Tracing.hashUser(m.sender()));
    span.setAttribute(ADMISSION, a.getClass().getSimpleName().toLowerCase(Locale.ROOT));
  }

  /** The context a reply is handed over in (the turn's), kept with it on its lane; root when not traced. */
  static Context capture() {
    return Tracing.tracer() == null ? Context.root() : Context.current();
  }

  /** One delivery attempt in a span {@code baton.delivery} below {@code parent}; plain when not traced. */
  static SendOutcome attempt(Context parent, Reply r, int attempt, Supplier<SendOutcome> once) {
    Tracer t = Tracing.tracer(parent);
    if (t == null) return once.get();
    Span span = t.spanBuilder("baton.delivery").setParent(parent).setSpanKind(SpanKind.CLIENT)
        .setAttribute(CHANNEL, r.channel()).setAttribute(ATTEMPT, (long) attempt).startSpan();
    try (Scope s = parent.with(span).makeCurrent()) {
      SendOutcome out = once.get();
      String outcome = switch (out) {
        case SendOutcome.Delivered d -> "delivered";
        case SendOutcome.Retry x -> "retry";
        case SendOutcome.Failed x -> "failed";
      };
      span.setAttribute(OUTCOME, outcome);
      if (!(out instanceof SendOutcome.Delivered)) span.setStatus(StatusCode.ERROR);
      return out;
    } catch (RuntimeException e) {
      span.setStatus(StatusCode.ERROR);
      span.setAttribute(ERROR_TYPE, e.getClass().getName());
      throw e;
    } finally {
      span.end();
    }
  }

  /** The API channel's delivery: the reply put into its user's inbox, one span when traced. */
  static void inbox(Reply r, Runnable append) {
    attempt(Context.current(), r, 1, () -> {
      append.run();
      return new SendOutcome.Delivered();
    });
  }
}
