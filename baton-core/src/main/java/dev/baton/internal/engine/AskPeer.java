package dev.baton.internal.engine;

import dev.baton.DeadlockException;
import dev.baton.SessionKey;
import dev.baton.TurnContext;
import dev.baton.deadlock.Need;
import dev.baton.deadlock.Party;
import dev.baton.deadlock.WaitGraph;
import dev.baton.deadlock.WaitKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/*
 * Overview
 *   One session's side of `ask` (EngineAskRouter): the turns it runs now and the questions sent to it, with
 *   their wait-for-graph edges (P8). A question that waits to run waits (SESSION_SLOT, Need.ANY) for the
 *   session's running turns: it runs when one of them frees the slot. With no turn of the session running,
 *   its turn waits for a global permit (GLOBAL_PERMIT, Need.ANY) held by the engine's running turns while no
 *   permit is free (so "A asks B while the askers hold every permit" is a cycle too; on nobody while one is
 *   free). Once a turn has taken it, it waits (ASK_REPLY, Need.ALL) for that turn only. Every turn start
 *   and end keeps these edges current (a turn start also the other sessions' permit waits, through the
 *   router); an answer, a cancellation or a victim removes them. So A asks B while B asks A is the cycle
 *   turn A -> call A -> ask#1 -> turn B -> call B -> ask#2 -> turn A, and the graph breaks it.
 *
 * Concurrency
 *   Not thread-safe by itself: EngineAskRouter calls it under this object's monitor. Graph calls under the
 *   monitor (the graph's lock is a leaf). A victim callback hands the question to EngineAskRouter.victim,
 *   which completes its future only after the monitor is released (no AskPeer monitor is ever taken while
 *   another is held).
 *
 * Failure
 *   A turn that ends without answering a question it took (interrupted and re-queued, or the question was not
 *   the last of a collected batch) puts the question back to waiting for the slot; the asker's timeout bounds
 *   it.
 */
final class AskPeer {

  /** One question in flight: the asker's future and its edge. */
  static final class Question {
    final String askId;
    final String messageId;
    final SessionKey from;
    final String peer;
    final SessionKey target;
    final CompletableFuture<String> reply = new CompletableFuture<>();
    // Guarded by the target's AskPeer monitor.
    WaitGraph.@Nullable Wait wait;
    /** The kind of {@link #wait} while the question is queued: SESSION_SLOT or GLOBAL_PERMIT. */
    WaitKind queuedOn = WaitKind.SESSION_SLOT;
    long answeringTurn = -1;

    Question(String askId, String messageId, SessionKey from, String peer, SessionKey target) {
      this.askId = askId;
      this.messageId = messageId;
      this.from = from;
      this.peer = peer;
      this.target = target;
    }

    Party party() {
      return Party.ask(askId, "question from " + from + " to " + peer);
    }
  }

  final SessionKey key;
  private final WaitGraph graph;
  private final BiConsumer<Question, DeadlockException> onVictim;
  private final Supplier<List<Party>> permitHolders;
  private final Consumer<SessionKey> waitsForPermit;
  // ---- guarded by this ----
  private final Set<Long> running = new LinkedHashSet<>(2);
  private final Map<String, Question> questions = new LinkedHashMap<>(2);
  boolean retired;
  int depth;

  /**
   * @param waitsForPermit told (under this monitor) when a question here starts waiting for a permit
   * @param permitHolders the turns holding the global permits a turn of this session would wait for: every
   *     running turn of the engine when no permit is free (and none can be added), else none
   */
  AskPeer(SessionKey key, WaitGraph graph, BiConsumer<Question, DeadlockException> onVictim,
      Supplier<List<Party>> permitHolders, Consumer<SessionKey> waitsForPermit) {
    this.key = key;
    this.graph = graph;
    this.onVictim = onVictim;
    this.permitHolders = permitHolders;
    this.waitsForPermit = waitsForPermit;
  }

  /** Whether a question here waits for a global permit (the router refreshes those on every turn start). */
  boolean waitsForPermit() {
    for (Question q : questions.values()) {
      if (q.answeringTurn < 0 && q.wait != null && q.queuedOn == WaitKind.GLOBAL_PERMIT) return true;
    }
    return false;
  }

  boolean idle() {
    return running.isEmpty() && questions.isEmpty();
  }

  /** A question arrives: it waits for the slot held by the running turns. */
  void queue(Question q) {
    questions.put(q.messageId, q);
    awaitSlot(q);
  }

  void turnStarted(TurnContext ctx) {
    running.add(ctx.turnSeq());
    if (questions.isEmpty()) return;
    Party turn = turnParty(ctx.turnSeq());
    for (String id : ctx.messageIds()) {
      Question q = questions.get(id);
      if (q == null || q.reply.isDone()) continue;
      q.answeringTurn = ctx.turnSeq();
      endWait(q);
      q.wait = graph.await(q.party(), WaitKind.ASK_REPLY, "answer of " + turn.name() + " in " + key, Need.ALL,
          List.of(turn), d -> onVictim.accept(q, d));
    }
    updateQueued();
  }

  void turnEnded(long turnSeq) {
    running.remove(turnSeq);
    for (Question q : new ArrayList<>(questions.values())) {
      if (q.answeringTurn == turnSeq && !q.reply.isDone()) {
        q.answeringTurn = -1; // taken but not answered: it waits for the slot again
        endWait(q);
        awaitSlot(q);
      }
    }
    updateQueued();
  }

  void forget(Question q) {
    questions.remove(q.messageId, q);
    endWait(q);
  }

  /**
   * A queued question waits for a slot of this session while a turn of it runs (SESSION_SLOT, on those
   * turns); with none running, its turn waits for a global permit (GLOBAL_PERMIT, Need.ANY, on the turns
   * that hold the permits when none is free; on nobody while one is free).
   */
  private void awaitSlot(Question q) {
    if (running.isEmpty()) {
      q.queuedOn = WaitKind.GLOBAL_PERMIT;
      waitsForPermit.accept(key); // before the await: a turn starting meanwhile refreshes this wait
      q.wait = graph.await(q.party(), WaitKind.GLOBAL_PERMIT, "a global permit for " + key, Need.ANY,
          permitHolders.get(), d -> onVictim.accept(q, d));
    } else {
      q.queuedOn = WaitKind.SESSION_SLOT;
      q.wait = graph.await(q.party(), WaitKind.SESSION_SLOT, "slot of " + key, Need.ANY, runningParties(),
          d -> onVictim.accept(q, d));
    }
  }

  /** Brings the queued questions' waits up to date: their kind, and their blockers. */
  void updateQueued() {
    List<Party> slot = null;
    List<Party> permits = null;
    for (Question q : new ArrayList<>(questions.values())) { // a victim callback may remove one
      WaitGraph.Wait w = q.wait;
      if (q.answeringTurn >= 0 || w == null) continue;
      WaitKind now = running.isEmpty() ? WaitKind.GLOBAL_PERMIT : WaitKind.SESSION_SLOT;
      if (now != q.queuedOn) {
        endWait(q);
        awaitSlot(q);
      } else if (now == WaitKind.SESSION_SLOT) {
        if (slot == null) slot = runningParties();
        graph.update(w, slot);
      } else {
        if (permits == null) permits = permitHolders.get();
        graph.update(w, permits);
      }
    }
  }

  private void endWait(Question q) {
    if (q.wait != null) graph.end(q.wait);
    q.wait = null;
  }

  private List<Party> runningParties() {
    List<Party> out = new ArrayList<>(running.size());
    for (long t : running) out.add(turnParty(t));
    return out;
  }

  private Party turnParty(long turnSeq) {
    return Party.turn(turnSeq, "session " + key);
  }
}
