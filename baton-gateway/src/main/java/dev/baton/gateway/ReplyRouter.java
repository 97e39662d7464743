package dev.baton.gateway;

import dev.baton.Reply;
import dev.baton.config.BatonConfig;
import dev.baton.gateway.internal.ApiMessageParser;
import dev.baton.gateway.internal.ApiReplies;
import dev.baton.gateway.internal.ClusterReplies;
import dev.baton.gateway.internal.OutboundDelivery;
import dev.baton.gateway.internal.PollLimits;
import dev.baton.gateway.internal.PlatformHttp;
import dev.baton.gateway.internal.ReplyInbox;
import dev.baton.gateway.internal.Senders;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's side of reply delivery (DESIGN §1 step 8), handed to the engine before either is built:
 *
 * <pre>{@code
 * ReplyRouter router = ReplyRouter.create(config, store, scheduler, meters);
 * Baton engine = Baton.builder().config(config).store(store).scheduler(scheduler).replies(router).build();
 * Gateway gateway = Gateway.builder(config).engine(engine).store(store).scheduler(scheduler)
 *     .meterRegistry(meters).replies(router).build().start();
 * }</pre>
 *
 * <p>Replies of the HTTP message API wait in the user's inbox for {@code GET /v1/replies} and are marked
 * delivered when the client acknowledges them (polls with a later cursor). In cluster mode they wait in the
 * store's outbox instead, where {@code GET /v1/replies} on any node finds them; handing one to this router then
 * only wakes the polls of its session waiting on this node. Replies of a platform channel go
 * to that session's outbound lane, which calls the platform's API in order, with retries, and then marks
 * them delivered.
 *
 * <p><b>Concurrency.</b> {@link #onReply} is thread-safe; it blocks only for the store write that marks a reply
 * dropped from a full API inbox as delivered (on the session's commit lane, never under a lock). It keeps the
 * order in which it is called for each session (the engine calls it in outbox order and never concurrently for
 * one session).
 */
public final class ReplyRouter implements ReplyHandler {

  private static final Logger log = LoggerFactory.getLogger(ReplyRouter.class);

  final ApiReplies inbox;
  /** What {@code GET /v1/replies} reads: {@link #inbox} under {@code channels.api.max_polls_per_user} (P11). */
  final ApiReplies polls;
  final OutboundDelivery outbound;

  private ReplyRouter(ApiReplies inbox, int maxPollsPerUser, MeterRegistry meters, OutboundDelivery outbound) {
    this.inbox = inbox;
    this.polls = new PollLimits(inbox, maxPollsPerUser, meters);
    this.outbound = outbound;
  }

  /**
   * Creates the router with a sender for each enabled platform channel. With {@code cluster.enabled} the
   * message API reads replies from the store's outbox (a session's replies may be produced on any node), and
   * this node keeps none of them in memory; otherwise they wait in this node's in-memory inbox.
   */
  public static ReplyRouter create(BatonConfig config, Store store, Scheduler scheduler, MeterRegistry meters) {
    var channels = config.channels();
    PlatformHttp http = new PlatformHttp(Duration.ofMillis(channels.delivery().requestTimeoutMs()), scheduler);
    ApiReplies inbox = config.cluster().enabled()
        ? new ClusterReplies(store, scheduler, config.sessions().idSource(),
            Duration.ofMillis(config.cluster().pollIntervalMs()), meters)
        : new ReplyInbox(store, scheduler, channels.api().replyBuffer(), meters);
    OutboundDelivery outbound = new OutboundDelivery(Senders.forEnabled(channels, http), store, scheduler,
        channels.delivery(), meters);
    return new ReplyRouter(inbox, channels.api().maxPollsPerUser(), meters, outbound);
  }

  @Override
  public void onReply(Reply reply) {
    if (reply.channel().equals(ApiMessageParser.CHANNEL)) {
      String user = reply.routing().getOrDefault(ApiMessageParser.ROUTE_USER, reply.chat());
      inbox.append(user, reply);
    } else if (outbound.handles(reply.channel())) {
      outbound.enqueue(reply);
    } else {
      log.warn("reply for a channel that is not enabled: channel={} session={} outbox_seq={}", reply.channel(),
          reply.session(), reply.outboxSeq());
    }
  }
}
