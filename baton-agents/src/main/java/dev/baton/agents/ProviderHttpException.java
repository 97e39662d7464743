package dev.baton.agents;

import dev.langchain4j.exception.HttpException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A non-2xx answer of the provider with the headers that say when to retry: {@code retry-after-ms} (OpenAI),
 * {@code Retry-After} (seconds or an HTTP date, RFC 9110) and {@code x-ratelimit-reset-requests} (OpenAI, e.g.
 * {@code 6m0s}, {@code 20ms}). The body stays in the message for LangChain4j's mapper; Baton never shows it.
 */
final class ProviderHttpException extends HttpException {
  private static final long serialVersionUID = 1L;
  private static final Pattern GO_DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");

  private final @Nullable String retryAfterMs;
  private final @Nullable String retryAfter;
  private final @Nullable String resetRequests;

  ProviderHttpException(int status, String body, @Nullable String retryAfterMs, @Nullable String retryAfter,
      @Nullable String resetRequests) {
    super(status, body);
    this.retryAfterMs = retryAfterMs;
    this.retryAfter = retryAfter;
    this.resetRequests = resetRequests;
  }

  static ProviderHttpException of(int status, String body, HttpHeaders h) {
    return new ProviderHttpException(status, body, h.firstValue("retry-after-ms").orElse(null),
        h.firstValue("retry-after").orElse(null), h.firstValue("x-ratelimit-reset-requests").orElse(null));
  }

  /** When the provider said to retry, read at {@code now}; empty if it did not say (or said it unreadably). */
  Optional<Instant> retryAt(Instant now) {
    Optional<Duration> d = parseMillis(retryAfterMs);
    if (d.isEmpty()) {
      Optional<Instant> at = retryAfter(retryAfter, now);
      if (at.isPresent()) return at;
      d = goDuration(resetRequests);
    }
    return d.map(now::plus);
  }

  static Optional<Instant> retryAfter(@Nullable String v, Instant now) {
    if (v == null || v.isBlank()) return Optional.empty();
    String s = v.trim();
    try {
      double seconds = Double.parseDouble(s);
      if (seconds < 0 || Double.isNaN(seconds) || seconds > 86_400) return Optional.empty();
      return Optional.of(now.plusMillis((long) Math.ceil(seconds * 1000)));
    } catch (NumberFormatException notSeconds) {
      try {
        return Optional.of(ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      } catch (DateTimeParseException notADate) {
        return Optional.empty();
      }
    }
  }

  private static Optional<Duration> parseMillis(@Nullable String v) {
    if (v == null) return Optional.empty();
    try {
      double ms = Double.parseDouble(v.trim());
      return ms < 0 || ms > 86_400_000 ? Optional.empty() : Optional.of(Duration.ofMillis((long) Math.ceil(ms)));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** {@code 1h2m3.5s}, {@code 20ms}: OpenAI's reset headers. */
  static Optional<Duration> goDuration(@Nullable String v) {
    if (v == null || v.isBlank()) return Optional.empty();
    Matcher m = GO_DURATION.matcher(v.trim());
    long nanos = 0;
    int end = 0;
    while (m.find()) {
      if (m.start() != end) return Optional.empty();
      end = m.end();
      double n = Double.parseDouble(m.group(1));
      long unit = switch (m.group(2)) {
        case "ms" -> 1_000_000L;
        case "s" -> 1_000_000_000L;
        case "m" -> 60_000_000_000L;
        default -> 3_600_000_000_000L;
      };
      nanos += (long) (n * unit);
    }
    return end == v.trim().length() && end > 0 ? Optional.of(Duration.ofNanos(nanos)) : Optional.empty();
  }
}
