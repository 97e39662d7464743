package dev.baton.cli.probe;

import dev.baton.Baton;
import dev.baton.spi.ReplyHandler;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The probe for callers in this process — {@code baton demo} drives its engine with it, so the demo and
 * {@code baton probe} share one workload, one set of checks and one report. Over the message API it is exactly
 * {@code baton probe --protocol api}; in process a delivery is {@code Baton.submit} and a reply is what the
 * engine hands its reply handler.
 */
public final class EmbeddedProbe {

  /**
   * What to send: {@code users} honest users, {@code messages} messages in all at {@code rate} per second (open
   * loop), every choice from {@code seed}; {@code level} is {@code echo}, {@code context} or {@code ledger}
   * (docs/probe.md); {@code hostile} attackers (over the API only); an accepted message without an answer within
   * {@code replyTimeout} is stuck; {@code sendSeq}: each message carries its per-user sequence number as its order
   * key (Baton's {@code seq}), and order is judged by it too; {@code seqHold}: how long the target holds a message
   * behind a gap ({@code ordering.gap_timeout_ms}).
   */
  public record Workload(int users, int messages, double rate, long seed, String level, int hostile,
      Duration replyTimeout, boolean sendSeq, Duration seqHold) {
    public Workload {
      if (users < 1 || messages < 1 || rate <= 0 || hostile < 0 || replyTimeout.isNegative()) {
        throw new IllegalArgumentException("users, messages and rate must be positive, hostile not negative");
      }
      ProbeOptions.Level.valueOf(level.toUpperCase(Locale.ROOT));
    }
  }

  private EmbeddedProbe() {}

  /**
   * Drives a target of the message API at {@code base}, signing tokens with {@code jwtSecret}; {@code progress} is
   * told (messages resolved, messages planned) five times a second.
   */
  public static ProbeReport overApi(Workload w, URI base, String jwtSecret, BiConsumer<Integer, Integer> progress)
      throws InterruptedException {
    ProbeOptions o = options(w, progress);
    o.target = base;
    o.jwtSecret = jwtSecret;
    return new ProbeRun(o, new PrintWriter(java.io.Writer.nullWriter())).run();
  }

  /**
   * Drives an engine in this process: {@code engine} builds it with the probe's reply handler (the probe closes
   * it at the end of the run); messages arrive on {@code channel}.
   */
  public static ProbeReport inProcess(Workload w, Function<ReplyHandler, Baton> engine, String channel,
      BiConsumer<Integer, Integer> progress) throws InterruptedException {
    if (w.hostile() > 0) throw new IllegalArgumentException("hostile users attack a gateway: use overApi");
    ProbeOptions o = options(w, progress);
    o.target = URI.create("inprocess:" + channel);
    o.targetFactory = (record, seqs) -> new InProcessTarget(engine, channel, record, seqs);
    return new ProbeRun(o, new PrintWriter(java.io.Writer.nullWriter())).run();
  }

  /**
   * Who sent each nonce of the workload (the plan is decided from the seed alone), so an observer inside the
   * target can tell whose data a text holds.
   */
  public static Map<String, String> nonceOwners(Workload w) {
    Map<String, String> owners = new HashMap<>();
    for (Plan.Msg m : Plan.build(options(w, (a, b) -> {})).messages) owners.put(m.nonce(), m.user());
    return Map.copyOf(owners);
  }

  private static ProbeOptions options(Workload w, BiConsumer<Integer, Integer> progress) {
    ProbeOptions o = new ProbeOptions();
    o.users = w.users();
    o.messages = w.messages();
    o.rate = w.rate();
    o.seed = w.seed();
    o.level = ProbeOptions.Level.valueOf(w.level().toUpperCase(Locale.ROOT));
    o.hostile = w.hostile();
    o.replyTimeout = w.replyTimeout();
    o.progress = true;
    o.progressSink = progress;
    o.sendSeq = w.sendSeq();
    o.seqHold = w.seqHold();
    return o;
  }
}
