package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.spi.BatonJson;
import dev.baton.spi.Scheduler;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.function.Function;

/*
 * Overview: outbound HTTP to the platforms' APIs with the JDK HttpClient, and the mapping of an answer to
 * an SendOutcome: 2xx delivered (unless the platform's own check says otherwise), 429 and 5xx retried with
 * Retry-After honoured (for a 429 without it, the body's retry_after of Telegram and Discord), network
 * errors retried, any other 4xx failed for good (unless the caller's check of a refusal says otherwise).
 * Concurrency: thread-safe; post() blocks the calling virtual thread for at most request_timeout_ms.
 * Failure: descriptions carry only status codes and exception class names, never a URL (a Telegram URL
 * holds the bot token) nor a response body.
 */
final class PlatformHttp {

  private final HttpClient client;
  private final Duration timeout;
  private final Scheduler scheduler;

  public PlatformHttp(Duration timeout, Scheduler scheduler) {
    this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.timeout = timeout;
    this.scheduler = scheduler;
  }

  /** POSTs a JSON body; {@code okCheck} may turn a 2xx answer into another outcome (Slack's "ok":false). */
  public SendOutcome postJson(URI uri, byte[] json, Optional<String> bearer,
      Function<HttpResponse<byte[]>, SendOutcome> okCheck) {
    return request("POST", uri, json, bearer, okCheck, res -> new SendOutcome.Failed("HTTP " + res.statusCode()));
  }

  /**
   * Sends a JSON body with {@code method} (POST, PATCH); {@code okCheck} maps a 2xx answer, {@code refused} a
   * 4xx other than 429 (which is Failed unless the platform's own answer says otherwise, e.g. Telegram's
   * "message is not modified" is no failure for an edit).
   */
  public SendOutcome request(String method, URI uri, byte[] json, Optional<String> bearer,
      Function<HttpResponse<byte[]>, SendOutcome> okCheck, Function<HttpResponse<byte[]>, SendOutcome> refused) {
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(timeout)
        .header("Content-Type", "application/json; charset=utf-8")
        .method(method, HttpRequest.BodyPublishers.ofByteArray(json));
    bearer.filter(b -> !b.isEmpty()).ifPresent(b -> req.header("Authorization", "Bearer " + b));
    HttpResponse<byte[]> res;
    try {
      res = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      return new SendOutcome.Retry("network: " + e.getClass().getSimpleName(), Optional.empty());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new SendOutcome.Retry("interrupted", Optional.empty());
    }
    int status = res.statusCode();
    if (status / 100 == 2) return okCheck.apply(res);
    if (status == 429 || status / 100 == 5) {
      Optional<Duration> after = retryAfter(res.headers().firstValue("Retry-After"));
      if (after.isEmpty() && status == 429) after = bodyRetryAfter(res.body());
      return new SendOutcome.Retry("HTTP " + status, after);
    }
    return refused.apply(res);
  }

  /**
   * A 429 without the header: the Bot API's {@code parameters.retry_after} (seconds) or Discord's
   * {@code retry_after} (seconds, may be fractional), at most an hour; empty if the body has neither.
   */
  static Optional<Duration> bodyRetryAfter(byte[] body) {
    try {
      JsonNode n = BatonJson.MAPPER.readTree(body);
      if (n == null) return Optional.empty();
      JsonNode v = n.path("parameters").path("retry_after");
      if (!v.isNumber()) v = n.path("retry_after");
      if (!v.isNumber() || v.asDouble() < 0) return Optional.empty();
      return Optional.of(Duration.ofMillis((long) (Math.min(v.asDouble(), 3600) * 1000)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** {@code Retry-After} as delay-seconds or an HTTP-date (judged by the Scheduler's clock). */
  Optional<Duration> retryAfter(Optional<String> header) {
    if (header.isEmpty()) return Optional.empty();
    String v = header.get().trim();
    try {
      long secs = Long.parseLong(v);
      return secs < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(Math.min(secs, 3600)));
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(scheduler.now(), at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d.compareTo(Duration.ofHours(1)) > 0
            ? Duration.ofHours(1) : d);
      } catch (DateTimeParseException e2) {
        return Optional.empty();
      }
    }
  }
}
