package dev.baton.gateway;

import dev.baton.LiveEvent;
import dev.baton.Reply;
import dev.baton.config.BatonConfig;
import dev.baton.gateway.internal.ReplyLanes;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.MeterRegistry;

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

  final ReplyLanes lanes;

  private ReplyRouter(ReplyLanes lanes) {
    this.lanes = lanes;
  }

  /**
   * Creates the router with a sender for each enabled platform channel. With {@code cluster.enabled} the
   * message API reads replies from the store's outbox (a session's replies may be produced on any node), and
   * this node keeps none of them in memory; otherwise they wait in this node's in-memory inbox.
   */
  public static ReplyRouter create(BatonConfig config, Store store, Scheduler scheduler, MeterRegistry meters) {
    return new ReplyRouter(ReplyLanes.create(config, store, scheduler, meters));
  }

  /**
   * The operator console's hooks into the engine and the tool runtime (docs/console.md), when {@code
   * admin.token} is set; otherwise empty. Give it to both builders so that the console's timeline shows turns,
   * tool calls and lock waits as they happen:
   *
   * <pre>{@code
   * router.consoleObserver().ifPresent(o -> { toolsBuilder.observer(o); engineBuilder.observer(o); });
   * }</pre>
   */
  public java.util.Optional<dev.baton.spi.TimelineObserver> consoleObserver() {
    return java.util.Optional.ofNullable(lanes.consoleObserver());
  }

  @Override
  public void onReply(Reply reply) {
    lanes.route(reply);
  }

  @Override
  public void onLive(LiveEvent event) {
    lanes.live(event);
  }
}
