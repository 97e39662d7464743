package dev.baton.cli.demo;

import dev.baton.SessionKey;
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

/*
 * Overview: the demo's stand-in for the engine's side of `ask` (the engine does not deliver questions yet).
 * It does what the wait-for graph needs to see: each session's slot is held by its running turn (the agent
 * reports start and end); a question to a busy session waits for that slot (an edge ask#id -> the holder
 * turn) and is answered, on the target's behalf, once the slot frees. So A asks B while B asks A is the
 * cycle the engine would make.
 *
 * Concurrency: all methods synchronized; graph calls happen under this monitor (the graph's lock is a leaf).
 */
final class DemoAskRouter implements AskRouter {
  private record Question(String text, CompletableFuture<String> reply, WaitGraph.Wait edge) {}

  private final WaitGraph graph;
  private final Map<SessionKey, Party> holders = new HashMap<>();
  private final Map<SessionKey, ArrayDeque<Question>> queued = new HashMap<>();

  DemoAskRouter(WaitGraph graph) {
    this.graph = graph;
  }

  synchronized void turnStarts(TurnContext turn) {
    holders.put(turn.session(), Party.turn(turn.turnSeq(), "session " + turn.session()));
  }

  synchronized void turnEnds(TurnContext turn) {
    holders.remove(turn.session());
    ArrayDeque<Question> q = queued.remove(turn.session());
    if (q == null) return;
    for (Question question : q) {
      graph.end(question.edge());
      question.reply().complete(answer(turn.session(), question.text()));
    }
  }

  @Override
  public synchronized CompletableFuture<String> send(String askId, TurnContext from, String target, String text) {
    SessionKey to = new SessionKey(target);
    CompletableFuture<String> reply = new CompletableFuture<>();
    Party holder = holders.get(to);
    if (holder == null) {
      reply.complete(answer(to, text));
      return reply;
    }
    WaitGraph.Wait edge = graph.await(Party.ask(askId, "question from " + from.session() + " to " + target),
        WaitKind.SESSION_SLOT, "slot of " + target, Need.ANY, List.of(holder), reply::completeExceptionally);
    queued.computeIfAbsent(to, k -> new ArrayDeque<>()).add(new Question(text, reply, edge));
    return reply;
  }

  private static String answer(SessionKey session, String question) {
    return "answer of " + session + " to '" + question + "'";
  }
}
