package dev.baton.tools.internal;

import dev.baton.spi.Tracing;
import dev.baton.spi.tool.ToolResult;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the tool runtime's spans (docs/tracing.md): baton.tool.call around a call on its holder thread, a
 * child of the turn's span (the Context of the thread that started the call, so parallel calls are siblings),
 * and baton.tool.lock_wait, its child, around the wait for its tools.limits slot and its declared locks. The
 * tracer comes with the context (Tracing.tracer): outside a traced turn every method returns null at once.
 * Concurrency: stateless.
 */
/** Spans of tool calls and their lock waits; null (nothing made) when the call is not traced. */
final class ToolSpans {

  static final AttributeKey<String> TOOL = AttributeKey.stringKey("baton.tool.name");
  static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("baton.outcome");
  static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
  static final AttributeKey<Long> LOCKS = AttributeKey.longKey("baton.tool.locks");

  private ToolSpans() {}

  static @Nullable Span call(Context parent, String tool) {
    Tracer t = Tracing.tracer(parent);
    if (t == null) return null;
    return t.spanBuilder("baton.tool.call").setParent(parent).setAttribute(TOOL, tool).startSpan();
  }

  /** The lock wait of {@code call} (made current on the holder thread); null when not traced. */
  static @Nullable Span lockWait(@Nullable Span call, Context parent) {
    if (call == null) return null;
    Tracer t = Tracing.tracer(parent);
    if (t == null) return null;
    return t.spanBuilder("baton.tool.lock_wait").setParent(parent.with(call)).startSpan();
  }

  static void endWait(@Nullable Span wait, int locks, @Nullable Throwable failure) {
    if (wait == null) return;
    wait.setAttribute(LOCKS, (long) locks);
    if (failure != null) {
      wait.setStatus(StatusCode.ERROR);
      wait.setAttribute(ERROR_TYPE, failure.getClass().getName());
    }
    wait.end();
  }

  static void endCall(@Nullable Span call, ToolResult result) {
    if (call == null) return;
    switch (result) {
      case ToolResult.Ok ok -> call.setAttribute(OUTCOME, ok.replayed() ? "replayed" : "ok");
      case ToolResult.Failed f -> {
        call.setAttribute(OUTCOME, "failed");
        call.setAttribute(ERROR_TYPE, f.code());
        call.setStatus(StatusCode.ERROR);
      }
    }
    call.end();
  }
}
