package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.LiveEvent;
import dev.baton.SessionKey;
import dev.baton.config.BatonConfig;
import dev.baton.internal.store.MemoryStore;
import dev.baton.testing.ManualScheduler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ReplyLanes.live's API branch and the per-user hub: no state for users without a stream, bounded per user. */
class EventHubTest {

  final ManualScheduler clock = new ManualScheduler();
  final ReplyLanes lanes = ReplyLanes.create(BatonConfig.defaults(), new MemoryStore(), clock, new SimpleMeterRegistry());

  static LiveEvent.Delta delta(String channel, String user) {
    return new LiveEvent.Delta(SessionKey.user(channel, user), channel, user, "m", Map.of("user", user), "m#1", 0,
        "x");
  }

  EventStream stream(String user) {
    return new EventStream(user, "", lanes.inbox(), clock, Duration.ofSeconds(15));
  }

  @Test
  void liveEventsForAUserWithoutAStreamCostNothingAndOtherChannelsAreNotTheApis() {
    for (int i = 0; i < 10_000; i++) lanes.live(delta("api", "u" + i));
    assertThat(lanes.events().users()).isZero();
    EventStream s = stream("alice");
    lanes.events().open("alice", s);
    lanes.live(delta("telegram", "alice")); // a platform's event, even with the same chat: not for the API
    assertThat(s.pending()).isZero();
    lanes.live(delta("api", "alice"));
    assertThat(s.pending()).isEqualTo(1);
    lanes.live(delta("api", "alice"));
    assertThat(s.pending()).as("merged").isEqualTo(1);
  }

  @Test
  void atMostTheConfiguredStreamsPerUserAndTheEntryGoesWithTheLastOne() {
    EventHub hub = lanes.events();
    int max = BatonConfig.defaults().channels().api().maxEventStreamsPerUser();
    EventStream[] open = new EventStream[max];
    for (int i = 0; i < max; i++) hub.open("alice", open[i] = stream("alice"));
    assertThatThrownBy(() -> hub.open("alice", stream("alice")))
        .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(429));
    hub.open("bob", stream("bob"));
    for (EventStream s : open) hub.remove("alice", s);
    assertThat(hub.of("alice")).isEmpty();
    assertThat(hub.users()).isEqualTo(1);
    lanes.stop();
    assertThatThrownBy(() -> hub.open("carol", stream("carol")))
        .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(503));
  }
}
