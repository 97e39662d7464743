package dev.baton.gateway.internal;

import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.config.BatonConfig;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview
 *   Where a reply goes once the engine has committed it: a reply of the HTTP message API waits for
 *   GET /v1/replies (in this node's ReplyInbox, or in the store's outbox in cluster mode, ClusterReplies), a
 *   reply of a platform channel goes to its session's outbound lane (OutboundDelivery). A live event (P10) of the
 *   API goes to its user's open GET /v1/events streams on this node (EventHub). The public
 *   dev.baton.gateway.ReplyRouter is a thin face over this class, and GatewayServer reads the polls from it.
 *   Public only because ReplyRouter, in the public package, must create and hold it; nothing else in this
 *   package is public.
 *
 * Concurrency
 *   route() is thread-safe and keeps each session's order (the engine calls it in outbox order and never
 *   concurrently for one session); it blocks only for the store write that marks a reply dropped from a full
 *   API inbox as delivered. awaitIdle() and stop() are called by the gateway's owner thread at shutdown.
 *
 * Failure
 *   A reply for a channel that is not enabled is logged and left undelivered in the store.
 */
/** The API reply inbox (with its poll limits) and the outbound lanes of the platform channels. */
public final class ReplyLanes {

  private static final Logger log = LoggerFactory.getLogger(ReplyLanes.class);

  private final ApiReplies inbox;
  /** What {@code GET /v1/replies} reads: {@link #inbox} under {@code channels.api.max_polls_per_user} (P11). */
  private final ApiReplies polls;
  private final OutboundDelivery outbound;
  /** The open {@code GET /v1/events} streams, by user, that the API's live events go to. */
  private final EventHub events;

  private ReplyLanes(ApiReplies inbox, int maxPollsPerUser, int maxEventStreamsPerUser, MeterRegistry meters,
      OutboundDelivery outbound, @Nullable ConsoleTimeline timeline) {
    this.timeline = timeline;
    if (timeline != null) outbound.timeline(timeline);
    this.inbox = inbox;
    this.polls = new PollLimits(inbox, maxPollsPerUser, meters);
    this.events = new EventHub(maxEventStreamsPerUser, meters);
    this.outbound = outbound;
  }

  /**
   * The lanes with a sender for each enabled platform channel. With {@code cluster.enabled} the message API
   * reads replies from the store's outbox (a session's replies may be produced on any node), and this node
   * keeps none of them in memory; otherwise they wait in this node's in-memory inbox.
   */
  public static ReplyLanes create(BatonConfig config, Store store, Scheduler scheduler, MeterRegistry meters) {
    var channels = config.channels();
    PlatformHttp http = new PlatformHttp(Duration.ofMillis(channels.delivery().requestTimeoutMs()), scheduler);
    ApiReplies inbox = config.cluster().enabled()
        ? new ClusterReplies(store, scheduler, config.sessions().idSource(),
            Duration.ofMillis(config.cluster().pollIntervalMs()), meters)
        : new ReplyInbox(store, scheduler, channels.api().replyBuffer(), meters);
    OutboundDelivery outbound = new OutboundDelivery(Senders.forEnabled(channels, http), store, scheduler,
        channels.delivery(), meters);
    outbound.streamTtl(Duration.ofMillis(config.agent().turnTimeoutMs()));
    // The operator console's timeline (docs/console.md), only with admin.token: its engine and tool hooks are
    // consoleObserver(), which the builders are given; without the console nothing records anything.
    ConsoleTimeline timeline = config.admin().enabled()
        ? new ConsoleTimeline(scheduler, config.admin().showText()) : null;
    return new ReplyLanes(inbox, channels.api().maxPollsPerUser(), channels.api().maxEventStreamsPerUser(), meters,
        outbound, timeline);
  }

  /** The console's timeline (with admin.token), told of each reply routed. */
  private final @Nullable ConsoleTimeline timeline;

  /** The console's timeline (made with admin.token), or null. */
  public dev.baton.spi.@Nullable TimelineObserver consoleObserver() {
    return timeline;
  }

  @Nullable ConsoleTimeline timeline() {
    return timeline;
  }

  /** Hands a committed reply to its user's inbox or its session's outbound lane. */
  public void route(Reply reply) {
    ConsoleTimeline t = timeline;
    if (t != null) {
      t.record(reply.session(), "reply", reply.kind().name().toLowerCase(java.util.Locale.ROOT) + " to "
          + reply.inReplyTo() + " (reply " + reply.outboxSeq() + ")"
          + (reply.channel().equals(ApiMessageParser.CHANNEL) ? ", to the user's inbox"
          : ", to the " + reply.channel() + " delivery lane"), reply.text());
    }
    if (reply.channel().equals(ApiMessageParser.CHANNEL)) {
      String user = reply.routing().getOrDefault(ApiMessageParser.ROUTE_USER, reply.chat());
      GatewayTracing.inbox(reply, () -> inbox.append(user, reply));
    } else if (outbound.handles(reply.channel())) {
      outbound.enqueue(reply);
    } else {
      log.warn("reply for a channel that is not enabled: channel={} session={} outbox_seq={}", reply.channel(),
          reply.session(), reply.outboxSeq());
    }
  }

  /**
   * A running turn's partial text or status (P10): for the message API to the user's open event streams, for a
   * platform channel to its session's outbound lane (behind the replies already queued there). Never blocks.
   */
  public void live(LiveEvent event) {
    if (event.channel().equals(ApiMessageParser.CHANNEL)) {
      // GET /v1/events: the user's open streams on this node (none: dropped at once, nothing kept).
      events.live(event.routing().getOrDefault(ApiMessageParser.ROUTE_USER, event.chat()), event);
    } else if (event instanceof LiveEvent.Delta d && outbound.streams(d.channel())) {
      outbound.live(d); // platforms: behind the session's queued replies, merged while the platform is slow
    }
    // (a Status is not shown on the platforms; WhatsApp and slack streaming `off` show the final text only)
  }

  /** Waits until the outbound lanes have nothing left to deliver, at most {@code deadline}. */
  public boolean awaitIdle(Duration deadline) {
    return outbound.awaitIdle(deadline);
  }

  /**
   * Stops the outbound lanes (what is left stays undelivered in the store), ends every event stream (new ones are
   * refused with 503) and wakes every waiting poll.
   */
  public void stop() {
    outbound.stop();
    events.close(); // before the inbox: a stream's poller then ends instead of polling a closed inbox again
    inbox.close();
  }

  /** Replies queued in the outbound lanes and not yet delivered or given up (for tests and diagnostics). */
  public long pendingDeliveries() {
    return outbound.pending();
  }

  /**
   * Cluster mode: the sessions this node keeps in memory because a poll waits on it for their replies; 0 on a
   * single node (for tests and diagnostics: a reply produced here for a user polling elsewhere costs nothing).
   */
  public int waitingSessions() {
    return inbox instanceof ClusterReplies c ? c.waitingSessions() : 0;
  }

  ApiReplies polls() {
    return polls;
  }

  /** What {@code GET /v1/events} reads its replies from (not under max_polls_per_user: streams have their own bound). */
  ApiReplies inbox() {
    return inbox;
  }

  EventHub events() {
    return events;
  }
}
