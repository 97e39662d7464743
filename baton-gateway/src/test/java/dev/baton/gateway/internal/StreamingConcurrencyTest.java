package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.DeliveryConfig;
import dev.baton.gateway.support.Eventually;
import dev.baton.testing.ManualScheduler;
import dev.baton.testing.TestThreads;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Partial and final text under real concurrency: each session's turns (one producer thread per session, as the
 * engine appends on the turn's thread) stream deltas and then hand over the final reply while the lane's drainer
 * shows previews. Whatever the interleaving, a stream's previews are growing prefixes of its text, all of them
 * before its final text, the final text comes exactly once, and streams follow each other in order.
 */
class StreamingConcurrencyTest {

  static final int SESSIONS = 8;
  static final int STREAMS = 20;
  static final int DELTAS = 50;

  /** A streaming sink without a throttle (interval 0) that records what each session was shown. */
  static final class RecordingStreamSink implements OutboundDelivery.StreamSink {
    final Map<SessionKey, List<String>> shown = new ConcurrentHashMap<>();

    void record(SessionKey s, String what) {
      shown.computeIfAbsent(s, k -> new CopyOnWriteArrayList<>()).add(what);
    }

    @Override
    public SendOutcome send(Reply reply) {
      record(reply.session(), "final " + reply.streamId() + " " + reply.text());
      return SendOutcome.DELIVERED;
    }

    @Override
    public boolean streaming() {
      return true;
    }

    @Override
    public int previewLimit() {
      return 100_000;
    }

    @Override
    public Duration editInterval() {
      return Duration.ZERO;
    }

    @Override
    public SendOutcome preview(StreamView view, String text) {
      record(view.session, "preview " + view.streamId + " " + text);
      view.anchor = "x:" + view.streamId;
      return SendOutcome.DELIVERED;
    }

    @Override
    public SendOutcome sendFinal(Reply reply, StreamView view) {
      assertThat(view.anchor).isIn(null, "x:" + reply.streamId());
      return send(reply);
    }
  }

  @RepeatedTest(10)
  void previewsOfAStreamArePrefixesShownBeforeItsFinalTextWhichComesOnce() throws Exception {
    RecordingStreamSink sink = new RecordingStreamSink();
    AnchorStore store = new AnchorStore();
    OutboundDelivery d = new OutboundDelivery(Map.of("x", sink), store, new ManualScheduler(),
        DeliveryConfig.defaults(), new SimpleMeterRegistry());
    List<TestThreads.Body> producers = new ArrayList<>();
    for (int s = 0; s < SESSIONS; s++) {
      SessionKey session = SessionKey.user("x", "s" + s);
      producers.add(() -> {
        long seq = 0;
        for (int n = 1; n <= STREAMS; n++) {
          String id = "m" + n + "#1";
          StringBuilder text = new StringBuilder();
          for (int i = 0; i < DELTAS; i++) {
            String part = i + ",";
            d.live(new LiveEvent.Delta(session, "x", "c", "m" + n, Map.of(), id, text.length(), part));
            text.append(part);
          }
          d.enqueue(new Reply(session, ++seq, "x", "c", "m" + n, Reply.Kind.REPLY, text.toString(),
              OptionalLong.empty(), Map.of(), id, List.of("m" + n)));
        }
      });
    }
    TestThreads.together(producers);
    Eventually.until("all delivered", () -> d.pending() == 0);
    Eventually.until("finished streams leave nothing behind", () -> d.lanes() == 0);
    assertThat(sink.shown).hasSize(SESSIONS);
    for (List<String> seen : sink.shown.values()) {
      int stream = 1;
      String last = "";
      for (String e : seen) {
        String prefix = "m" + stream + "#1 ";
        if (e.startsWith("preview ")) {
          assertThat(e).startsWith("preview " + prefix); // never a preview of a later or earlier stream
          String text = e.substring(("preview " + prefix).length());
          assertThat(text).startsWith(last); // growing
          last = text;
        } else {
          assertThat(e).startsWith("final " + prefix);
          assertThat(e.substring(("final " + prefix).length())).startsWith(last);
          stream++;
          last = "";
        }
      }
      assertThat(stream).isEqualTo(STREAMS + 1); // every final text exactly once, in order
    }
    assertThat(store.anchors).isEmpty();
  }
}
