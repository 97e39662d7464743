package dev.baton.cli.demo;

import dev.baton.Agent;
import dev.baton.Baton;
import dev.baton.cli.ServeCommand;
import dev.baton.config.BatonConfig;
import dev.baton.gateway.Gateway;
import dev.baton.gateway.ReplyRouter;
import dev.baton.spi.ReplyHandler;
import dev.baton.spi.Scheduler;
import dev.baton.spi.Store;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * One Baton node inside the demo's process: the configured store, the engine and the HTTP gateway on the address
 * of {@code config.server()}, wired as {@code baton serve} wires them. The demo's HTTP scenarios each run one or
 * more. {@link #close} drains the gateway, then closes engine and store.
 *
 * @param store the store the engine journals to
 * @param engine the engine
 * @param gateway the started gateway
 */
record InProcessNode(Store store, Baton engine, Gateway gateway) implements AutoCloseable {

  /**
   * Opens the store and starts engine and gateway; on a failure closes what it opened.
   *
   * @param replyPath what the engine hands its replies to, given the gateway's router (tests plant faults here)
   */
  static InProcessNode start(BatonConfig cfg, Agent agent, Scheduler scheduler, MeterRegistry meters,
      UnaryOperator<ReplyHandler> replyPath) {
    Store store = ServeCommand.openStore(cfg, scheduler);
    Baton e = null;
    try {
      ReplyRouter router = ReplyRouter.create(cfg, store, scheduler, meters);
      e = Baton.builder().config(cfg).agent(agent).store(store).scheduler(scheduler).meterRegistry(meters)
          .replies(replyPath.apply(router)).build();
      Gateway gateway = Gateway.builder(cfg).engine(e).store(store).scheduler(scheduler).meterRegistry(meters)
          .replies(router).build().start();
      return new InProcessNode(store, e, gateway);
    } catch (RuntimeException ex) {
      if (e != null) e.close();
      store.close();
      throw ex;
    }
  }

  int port() {
    return gateway.port();
  }

  @Override
  public void close() {
    try {
      gateway.stop(Duration.ofSeconds(5));
    } finally {
      engine.close();
      store.close();
    }
  }
}
