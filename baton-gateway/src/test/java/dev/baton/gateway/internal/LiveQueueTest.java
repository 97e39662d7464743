package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.LiveEvent;
import dev.baton.SessionKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pending live events of one event stream: merged per stream, in first-arrival order, bounded. */
class LiveQueueTest {

  static LiveEvent.Delta delta(String stream, String inReplyTo, long offset, String text) {
    return new LiveEvent.Delta(SessionKey.user("api", "a"), "api", "a", inReplyTo, Map.of("user", "a"), stream,
        offset, text);
  }

  static LiveEvent.Status status(String inReplyTo) {
    return new LiveEvent.Status(SessionKey.user("api", "a"), "api", "a", inReplyTo, Map.of(), LiveEvent.State.RUNNING);
  }

  @Test
  void deltasOfOneStreamMergeIntoOneEntryWithTheFirstOffsetAndTheLatestInReplyTo() {
    LiveQueue q = new LiveQueue(4);
    q.offer(status("m-1"));
    for (int i = 0; i < 10_000; i++) assertThat(q.offer(delta("s#1", i < 5000 ? "m-1" : "m-2", 7 + i, "ab"))).isTrue();
    q.offer(delta("s#2", "m-9", 0, "z"));
    assertThat(q.size()).isEqualTo(3);
    List<LiveQueue.Item> items = q.drain();
    assertThat(items.get(0)).isEqualTo(new LiveQueue.Status("m-1", LiveEvent.State.RUNNING));
    LiveQueue.Delta d = (LiveQueue.Delta) items.get(1);
    assertThat(d.offset).isEqualTo(7);
    assertThat(d.inReplyTo).isEqualTo("m-2");
    assertThat(d.text.toString()).isEqualTo("ab".repeat(10_000));
    assertThat(((LiveQueue.Delta) items.get(2)).replyId).isEqualTo("s#2");
    assertThat(q.isEmpty()).isTrue();
    q.offer(delta("s#1", "m-2", 20_007, "c")); // after a drain: a new entry, with its own offset
    assertThat(((LiveQueue.Delta) q.drain().getFirst()).offset).isEqualTo(20_007);
  }

  @Test
  void pastTheCapacityItOverflowsAndTakesNothingMore() {
    LiveQueue q = new LiveQueue(3);
    for (int i = 0; i < 3; i++) assertThat(q.offer(delta("s#" + i, "m", 0, "x"))).isTrue();
    assertThat(q.offer(status("m"))).isFalse();
    assertThat(q.overflowed()).isTrue();
    assertThat(q.offer(delta("s#0", "m", 1, "y"))).as("not even a merge once overflowed").isFalse();
    for (int i = 0; i < 1000; i++) q.offer(delta("t#" + i, "m", 0, "x"));
    assertThat(q.size()).isEqualTo(3);
  }
}
