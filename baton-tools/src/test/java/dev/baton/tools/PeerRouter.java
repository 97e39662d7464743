package dev.baton.tools;

import dev.baton.TurnContext;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import dev.baton.spi.tool.AskRouter;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the engine does for {@code ask}, reduced to what the graph needs: each session has one slot, held by
 * its running turn; a question to a busy session queues for that slot (an edge ask#id -> the holder turn) and
 * is answered when the slot frees.
 */
final class PeerRouter implements AskRouter {
  private record Question(String askId, String text, CompletableFuture<String> reply, WaitGraph.Wait edge) {}

  private final WaitGraph graph;
  private final Map<String, Party> slotHolder = new HashMap<>();
  private final Map<String, ArrayDeque<Question>> queued = new HashMap<>();

  PeerRouter(WaitGraph graph) {
    this.graph = graph;
  }

  synchronized void turnStarts(TurnContext turn) {
    slotHolder.put(turn.session().value(), Party.turn(turn.turnSeq(), "session " + turn.session()));
  }

  /** The turn ended: its slot goes to the first queued question, which is answered at once. */
  synchronized void turnEnds(TurnContext turn) {
    String s = turn.session().value();
    slotHolder.remove(s);
    Question q;
    while ((q = queued.getOrDefault(s, new ArrayDeque<>()).poll()) != null) {
      graph.end(q.edge());
      q.reply().complete("answer of " + s + " to '" + q.text() + "'");
    }
  }

  @Override
  public synchronized CompletableFuture<String> send(String askId, TurnContext from, String target, String question) {
    if (!target.startsWith("api:u:")) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("no peer '" + target + "'"));
    }
    CompletableFuture<String> reply = new CompletableFuture<>();
    Party holder = slotHolder.get(target);
    if (holder == null) {
      reply.complete("answer of " + target + " to '" + question + "'");
      return reply;
    }
    WaitGraph.Wait w = graph.await(Party.ask(askId, "question to " + target), WaitKind.SESSION_SLOT,
        "slot of " + target, Need.ANY, List.of(holder), reply::completeExceptionally);
    queued.computeIfAbsent(target, k -> new ArrayDeque<>()).add(new Question(askId, question, reply, w));
    return reply;
  }
}
