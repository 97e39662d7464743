package dev.baton;

import dev.baton.internal.engine.EngineAskRouter;
import dev.baton.spi.tool.AskRouter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Routes the {@code ask} tool's questions to peer sessions of a Baton engine (P1, P8). Made before the tool
 * runtime, which needs an {@link AskRouter}, and given to the engine's builder with the runtime's wait-for
 * graph:
 *
 * <pre>{@code
 * AskRouting asks = AskRouting.forPeers(config.tools().askPeers());
 * BatonTools tools = BatonTools.builder().askRouter(asks)...build();
 * Baton baton = Baton.builder().tools(tools).asks(asks, tools.waitForGraph())...build();
 * }</pre>
 *
 * <p>A question becomes a message of channel {@code ask} in the peer's session (looked up by peer name; agent
 * code never names a session key) and runs as one of its turns; its answer completes the asker's future and
 * never reaches the channel's reply handler. Until the engine is built every ask fails. One routing serves
 * one engine. Thread-safe.
 */
public final class AskRouting implements AskRouter {

  private final EngineAskRouter router;

  private AskRouting(EngineAskRouter router) {
    this.router = router;
  }

  /** @param peers peer name -> target session key ({@code tools.ask_peers}) */
  public static AskRouting forPeers(Map<String, String> peers) {
    return new AskRouting(new EngineAskRouter(peers));
  }

  /** The peer names agents may ask. */
  public Set<String> peerNames() {
    return router.peerNames();
  }

  @Override
  public CompletableFuture<String> send(String askId, TurnContext from, String target, String question) {
    return router.send(askId, from, target, question);
  }

  EngineAskRouter router() {
    return router;
  }
}
