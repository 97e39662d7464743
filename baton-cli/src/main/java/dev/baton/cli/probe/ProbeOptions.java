package dev.baton.cli.probe;

import java.net.URI;
import java.time.Duration;

/** What one probe run does: the target, the workload and the limits. Mutable holder filled by the command. */
final class ProbeOptions {

  /** The probe contract level the target follows (docs/probe.md). */
  enum Level { ECHO, CONTEXT, LEDGER }

  /** How the probe talks to the target. */
  enum Protocol { API, TELEGRAM, SLACK }

  /** How --protocol api reads replies: long poll on GET /v1/replies, or the SSE stream of GET /v1/events. */
  enum Replies { POLL, EVENTS }

  Protocol protocol = Protocol.API;
  Replies replies = Replies.POLL;
  String webhookSecret = "";
  int platformPort = 0;
  /** Called once the stand-in platform API listens, with its base URL (tests point the bot at it). */
  java.util.function.Consumer<URI> platformReady = u -> {};
  URI target = URI.create("http://127.0.0.1:8080");
  String jwtSecret = "";
  Level level = Level.CONTEXT;
  int users = 20;
  int messages = 400;
  double rate = 200;
  long seed = 1;
  int hostile = 0;
  int hostileFlood = 50;
  double redeliver = 0.1;
  double swap = 0.05;
  int burst = 8;
  double burstChance = 0.02;
  Duration replyTimeout = Duration.ofSeconds(10);
  /** Long-poll wait of each reply reader. */
  Duration pollWait = Duration.ofMillis(500);
  boolean progress = true;
  /** Told (messages resolved, messages planned) instead of the progress lines, when set (the demo's bar). */
  java.util.function.@org.jspecify.annotations.Nullable BiConsumer<Integer, Integer> progressSink;
  /** A target other than the protocol's own (the demo drives an engine in process); null: {@link #protocol}'s. */
  java.util.function.@org.jspecify.annotations.Nullable BiFunction<Recorder, java.util.Map<String, Integer>,
      ProbeTarget> targetFactory;
  /**
   * Whether each message carries its per-user sequence number ({@code seq} in Baton's API, an order key the target
   * may restore the order by); order is then judged by it as well as by arrival.
   */
  boolean sendSeq;
  /**
   * With {@link #sendSeq}: how long the target holds a message behind a gap in {@code seq} (Baton's
   * {@code ordering.gap_timeout_ms}); a swapped pair both taken within it must be answered in seq order.
   */
  Duration seqHold = Duration.ofSeconds(1);
}
