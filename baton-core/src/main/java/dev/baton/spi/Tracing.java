package dev.baton.spi;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.ContextKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.jspecify.annotations.Nullable;

/**
 * The OpenTelemetry tracer a message's spans are made with, carried in the message's {@link Context} (see
 * docs/tracing.md). The engine (or the gateway) puts its tracer into the context of every span it makes
 * current, so the modules below it (the tool runtime, the agents, the outbound lanes) find it where they
 * find the parent span: a module makes a span only when {@link #tracer()} is non-null, i.e. only inside a
 * traced message. With tracing off nothing is put and a look costs one ThreadLocal read, no allocation.
 *
 * <p>Attribute names are the OpenTelemetry semantic conventions where one exists ({@code http.*},
 * {@code error.type}, {@code gen_ai.*}) and {@code baton.*} for the rest. No attribute ever carries message
 * text; user ids appear only as {@link #hashUser} (the first 16 hex digits of their SHA-256).
 */
public final class Tracing {

  /** The instrumentation scope name of Baton's spans. */
  public static final String SCOPE = "dev.baton";

  private static final ContextKey<Tracer> TRACER = ContextKey.named("baton.tracer");
  private static final HexFormat HEX = HexFormat.of();

  private Tracing() {}

  /** Whether {@code otel} records anything (false for {@link OpenTelemetry#noop()}: then Baton traces nothing). */
  public static boolean enabled(OpenTelemetry otel) {
    return otel != OpenTelemetry.noop() && otel.getTracerProvider() != io.opentelemetry.api.trace.TracerProvider.noop();
  }

  /** Baton's tracer of {@code otel}. */
  public static Tracer tracer(OpenTelemetry otel) {
    return otel.getTracer(SCOPE);
  }

  /** {@code context} with {@code span} current and {@code tracer} carried for the modules below. */
  public static Context with(Context context, Span span, Tracer tracer) {
    return context.with(span).with(TRACER, tracer);
  }

  /** The tracer of the current traced message, or null when none is traced (tracing off). */
  public static @Nullable Tracer tracer() {
    return Context.current().get(TRACER);
  }

  /** The tracer carried by {@code context}, or null. */
  public static @Nullable Tracer tracer(Context context) {
    return context.get(TRACER);
  }

  /**
   * A user id as it may appear in a span: the first 16 hex digits (64 bits) of the SHA-256 of its UTF-8 bytes.
   * Enough to group one user's spans, not to read the id back (an attacker who guesses ids can still confirm a
   * guess; the spans go to the operator's own collector).
   */
  public static String hashUser(String user) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(user.getBytes(StandardCharsets.UTF_8));
      return HEX.formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
