package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.config.AdminConfig;
import dev.baton.testing.ManualScheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** The console's failed-login limit (ConsoleAuth): per client address, not raceable, the right token free. */
class ConsoleAuthLimitTest {

  static final String TOKEN = "console-admin-token-0123456789abcdef";
  final ManualScheduler clock = new ManualScheduler();
  final ConsoleAuth auth = new ConsoleAuth(new AdminConfig(TOKEN), clock);

  @Test
  void aSprayFromOneAddressDoesNotLockOutAnOperatorElsewhere() {
    for (int i = 0; i < ConsoleAuth.MAX_FAILURES; i++) assertThat(auth.login("guess" + i, "203.0.113.9")).isEmpty();
    assertThatThrownBy(() -> auth.login(TOKEN, "203.0.113.9")).isInstanceOf(ConsoleAuth.Throttled.class);
    assertThat(auth.login(TOKEN, "198.51.100.7")).as("the operator's own address").isPresent();
    clock.advance(Duration.ofMinutes(1));
    assertThat(auth.login(TOKEN, "203.0.113.9")).as("after the window").isPresent();
  }

  @Test
  void parallelGuessesGetNoMoreThanTheLimit() throws Exception {
    int n = 64;
    CountDownLatch go = new CountDownLatch(1);
    List<Future<String>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < n; i++) {
        int k = i;
        results.add(pool.submit(() -> {
          go.await();
          try {
            return auth.login("guess" + k, "203.0.113.9").isPresent() ? "in" : "wrong";
          } catch (ConsoleAuth.Throttled e) {
            return "throttled";
          }
        }));
      }
      go.countDown();
      int wrong = 0;
      for (Future<String> f : results) if (f.get().equals("wrong")) wrong++;
      assertThat(wrong).as("guesses compared").isEqualTo(ConsoleAuth.MAX_FAILURES);
    }
  }

  @Test
  void theRightTokenGivesItsSlotBack() {
    for (int i = 0; i < ConsoleAuth.MAX_FAILURES - 1; i++) assertThat(auth.login("guess" + i, "a")).isEmpty();
    assertThat(auth.login(TOKEN, "a")).isPresent();
    assertThat(auth.login("one more", "a")).as("the tenth failure is still compared").isEmpty();
    assertThatThrownBy(() -> auth.login(TOKEN, "a")).isInstanceOf(ConsoleAuth.Throttled.class);
  }
}
