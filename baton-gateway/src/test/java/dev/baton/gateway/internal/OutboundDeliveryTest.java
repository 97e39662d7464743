package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.DeliveryConfig;
import dev.baton.config.ChannelsConfig.SlackConfig;
import dev.baton.gateway.support.Clocks;
import dev.baton.gateway.support.RecordingServer;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Outbound delivery against a recording Slack API: order per session, retries, Retry-After, giving up. */
class OutboundDeliveryTest {

  static final String BOT = "xoxb-secret-bot-token";
  ManualScheduler clock = new ManualScheduler();
  RecordingServer api = new RecordingServer();
  RecordingStore store = new RecordingStore();
  SimpleMeterRegistry meters = new SimpleMeterRegistry();
  OutboundDelivery delivery;
  ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @BeforeEach
  void start() {
    PlatformHttp http = new PlatformHttp(Duration.ofSeconds(5), clock);
    SlackConfig slack = new SlackConfig(true, "signing-secret", BOT, api.baseUrl());
    delivery = new OutboundDelivery(Map.of("slack", new SlackChannel.Sender(slack, http)), store, clock,
        new DeliveryConfig(4, 500, 4_000, 5_000), meters);
    logs.start();
    ((Logger) LoggerFactory.getLogger(OutboundDelivery.class)).addAppender(logs);
  }

  @AfterEach
  void stop() {
    ((Logger) LoggerFactory.getLogger(OutboundDelivery.class)).detachAppender(logs);
    delivery.stop();
    api.close();
  }

  static Reply reply(String session, long seq, String text) {
    return new Reply(SessionKey.user("api", session), seq, "slack", "C1", "m" + seq, Reply.Kind.REPLY, text,
        OptionalLong.empty(), Map.of("channel", "C1"));
  }

  static String text(RecordingServer.Call c) throws Exception {
    return new ObjectMapper().readTree(c.body()).path("text").asText();
  }

  @Test
  void retriesServerErrorsWithBackoffAndHonoursRetryAfter() throws Exception {
    api.answer(503, Map.of(), "");
    api.answer(429, Map.of("Retry-After", "7"), "");
    delivery.enqueue(reply("s1", 1, "a"));
    api.next(); // 503
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(499));
    assertThat(api.calls).hasSize(1);
    clock.advance(Duration.ofMillis(1)); // first backoff: 500 ms
    api.next(); // 429 with Retry-After: 7
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(6_999));
    assertThat(api.calls).hasSize(2);
    clock.advance(Duration.ofMillis(1));
    api.next(); // 200
    assertThat(delivery.awaitIdle(Duration.ofSeconds(1))).isTrue();
    assertThat(store.delivered).containsExactly(new RecordingStore.Delivered(SessionKey.user("api", "s1"), 1));
    assertThat(meters.counter("baton.gateway.delivery.retried", "channel", "slack").count()).isEqualTo(2.0);
  }

  @Test
  void givesUpAfterTheLimitWithAMetricAndALogLineWithoutSecrets() throws Exception {
    for (int i = 0; i < 4; i++) api.answer(500, Map.of(), "");
    delivery.enqueue(reply("s1", 1, "lost"));
    delivery.enqueue(reply("s1", 2, "next"));
    api.next();
    // Advance exactly each backoff (500, 1000, 2000 ms): a longer step could also run the next timer,
    // which the drainer may register while advance() is still running due tasks.
    for (long wait : new long[] {500, 1000, 2000}) {
      Clocks.awaitTimers(clock, 1);
      clock.advance(Duration.ofMillis(wait));
      api.next();
    }
    assertThat(text(api.next())).isEqualTo("next"); // the session is not blocked forever
    assertThat(delivery.awaitIdle(Duration.ofSeconds(1))).isTrue();
    assertThat(meters.counter("baton.gateway.delivery.failed", "channel", "slack").count()).isEqualTo(1.0);
    assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("gave up")
        .contains("attempts=4").doesNotContain(BOT));
    assertThat(logs.list).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
    assertThat(store.delivered).extracting(RecordingStore.Delivered::outboxSeq).containsExactly(1L, 2L);
  }

  @Test
  void clientErrorsAreNotRetried() throws Exception {
    api.answer(403, Map.of(), "{\"ok\":false}");
    delivery.enqueue(reply("s1", 1, "x"));
    api.next();
    assertThat(delivery.awaitIdle(Duration.ofSeconds(1))).isTrue();
    assertThat(api.calls).hasSize(1);
    assertThat(meters.counter("baton.gateway.delivery.failed", "channel", "slack").count()).isEqualTo(1.0);
  }

  @Test
  void slackRateLimitedAnswerIsRetried() throws Exception {
    api.answer(200, Map.of(), "{\"ok\":false,\"error\":\"ratelimited\"}");
    delivery.enqueue(reply("s1", 1, "x"));
    api.next();
    Clocks.awaitTimers(clock, 1);
    clock.advance(Duration.ofMillis(500));
    api.next();
    assertThat(delivery.awaitIdle(Duration.ofSeconds(1))).isTrue();
    assertThat(store.delivered).hasSize(1);
  }

  @Test
  void aSessionsRepliesKeepTheirOrderWhileAnotherSessionProceeds() throws Exception {
    api.answer(503, Map.of(), "");
    delivery.enqueue(reply("s1", 1, "s1-1"));
    api.next(); // s1-1 failed, waiting for backoff
    Clocks.awaitTimers(clock, 1);
    for (int i = 2; i <= 5; i++) delivery.enqueue(reply("s1", i, "s1-" + i));
    delivery.enqueue(reply("s2", 1, "s2-1"));
    assertThat(text(api.next())).isEqualTo("s2-1"); // the other session is not held up
    clock.advance(Duration.ofMillis(500));
    for (int i = 1; i <= 5; i++) assertThat(text(api.next())).isEqualTo("s1-" + i);
    assertThat(delivery.awaitIdle(Duration.ofSeconds(1))).isTrue();
    assertThat(store.delivered).filteredOn(d -> d.session().equals(SessionKey.user("api", "s1")))
        .extracting(RecordingStore.Delivered::outboxSeq).containsExactly(1L, 2L, 3L, 4L, 5L);
  }

  @Test
  void stopLeavesUndeliveredRepliesInTheStore() throws Exception {
    api.answer(503, Map.of(), "");
    delivery.enqueue(reply("s1", 1, "x"));
    api.next();
    Clocks.awaitTimers(clock, 1);
    delivery.stop();
    assertThat(delivery.awaitIdle(Duration.ofSeconds(1))).isTrue(); // the drainer left at its wait
    assertThat(store.delivered).isEmpty();
  }
}
