package dev.baton.agents;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The provider's "when to retry" headers, in the order they are trusted. */
class RetryAfterTest {

  static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  static ProviderHttpException e(String ms, String after, String reset) {
    return new ProviderHttpException(429, "{}", ms, after, reset);
  }

  @Test
  void secondsAnHttpDateMillisecondsAndOpenAisResetHeader() {
    assertThat(e(null, "20", null).retryAt(NOW)).contains(NOW.plusSeconds(20));
    assertThat(e(null, "1.5", null).retryAt(NOW)).contains(NOW.plusMillis(1500));
    assertThat(e(null, "Thu, 01 Jan 2026 00:01:00 GMT", null).retryAt(NOW)).contains(NOW.plusSeconds(60));
    assertThat(e("250", "1", null).retryAt(NOW)).as("retry-after-ms is the finer one").contains(NOW.plusMillis(250));
    assertThat(e(null, null, "6m0s").retryAt(NOW)).contains(NOW.plus(Duration.ofMinutes(6)));
    assertThat(e(null, null, "1.5s").retryAt(NOW)).contains(NOW.plusMillis(1500));
    assertThat(e(null, null, "20ms").retryAt(NOW)).contains(NOW.plusMillis(20));
  }

  @Test
  void nothingOrNonsenseMeansTheCallersOwnBackoff() {
    assertThat(e(null, null, null).retryAt(NOW)).isEmpty();
    assertThat(e(null, "soon", "later").retryAt(NOW)).isEmpty();
    assertThat(e(null, "-3", null).retryAt(NOW)).isEmpty();
    assertThat(e(null, "999999999", null).retryAt(NOW)).as("more than a day is not believed").isEmpty();
  }
}
