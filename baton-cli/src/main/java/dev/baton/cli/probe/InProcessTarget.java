package dev.baton.cli.probe;

import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.spi.ReplyHandler;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/*
 * Overview: the probe's target when the engine runs in this process (the demo's in-process transport): a
 * delivery is Baton.submit of an InboundMessage on the given channel (its chat is the one the probe names, or
 * none), the Admission is read as the HTTP API would answer it (202 accepted, 200 duplicate, 429 busy, 409
 * rejected), and every committed reply reaches the recorder in the inbox of the chat it is addressed to. The
 * probe's checks then judge the engine exactly as they judge a bot over the wire.
 *
 * Concurrency: submit is called from many sender threads; replies come on the engine's delivery threads and go
 * straight into the (thread-safe) recorder, so read() only waits for the end of the run.
 */
final class InProcessTarget implements ProbeTarget {

  private final Baton engine;
  private final String channel;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Map<String, Integer> seqs;

  /**
   * {@code engine}: builds the engine with the given reply handler; the target closes it. {@code seqs}: each
   * message's sequence number by {@code "user\nid"}, sent as its order key ({@code OrderKey.sequence}).
   */
  InProcessTarget(Function<ReplyHandler, Baton> engine, String channel, Recorder record, Map<String, Integer> seqs) {
    this.channel = channel;
    this.seqs = seqs;
    this.engine = engine.apply(new ReplyHandler() {
      @Override
      public void onReply(Reply r) {
        record.replied(new Recorder.Seen(r.chat(), r.text(), r.kind().name().toLowerCase(Locale.ROOT),
            r.inReplyTo(), System.nanoTime(), r.covers()));
      }
    });
  }

  @Override
  public Recorder.Answer send(String user, String id, String text, String chat, int[] status) {
    Integer seq = seqs.get(user + "\n" + id);
    InboundMessage m = new InboundMessage(channel, id, user, chat, seq == null ? OrderKey.none()
        : OrderKey.sequence(seq), text, Instant.now(), Map.of());
    Admission a;
    try {
      a = engine.submit(m);
    } catch (RuntimeException e) { // a refused message (the engine is closing): what a 5xx is over HTTP
      status[0] = 503;
      return Recorder.Answer.FAILED;
    }
    return switch (a) {
      case Admission.Accepted x -> answer(status, 202, Recorder.Answer.ACCEPTED);
      case Admission.Duplicate x -> answer(status, 200, Recorder.Answer.DUPLICATE);
      case Admission.Busy x -> answer(status, 429, Recorder.Answer.BUSY);
      case Admission.Rejected x -> answer(status, 409, Recorder.Answer.REFUSED);
    };
  }

  private static Recorder.Answer answer(int[] status, int code, Recorder.Answer answer) {
    status[0] = code;
    return answer;
  }

  @Override
  public void read(String user, Recorder record, BooleanSupplier stop) {
    try {
      while (!stop.getAsBoolean()) closed.await(50, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String unauthorizedHint() {
    return "the engine refused every message";
  }

  @Override
  public void close() {
    closed.countDown();
    engine.close();
  }
}
