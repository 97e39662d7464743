package dev.baton.internal.engine;

import java.util.ArrayDeque;

/*
 * Overview
 *   One session's commit lane (DESIGN §1 step 8). It serialises every store commit of the session (turn
 *   results, error, busy, expiry and late-drop replies) together with the hand-off of their replies to the
 *   ReplyHandler, so replies reach the handler in outboxSeq order and never concurrently for one session,
 *   whichever thread produced them. The thread that finds the lane idle drains it: a turn's own virtual
 *   thread (run), or a fresh virtual thread when the producer is a timer or a submitting thread
 *   (addLocked + startDrainer, so no monitor is held while a task runs).
 *
 * Concurrency
 *   Guarded by the owning SessionActor's monitor (the lane's being busy is part of the actor's "has work":
 *   it does not retire while its lane runs). Tasks run outside that monitor, one at a time.
 *
 * Failure
 *   A task's failure is logged and the lane goes on; a FencedException (cluster mode: the lease went to
 *   another node) was logged by the engine and is dropped here.
 */
/** A session's commits and reply hand-offs, one at a time, in order. */
final class CommitLane {

  private final SessionActor actor;
  // ---- guarded by actor ----
  private final ArrayDeque<Runnable> tasks = new ArrayDeque<>(2);
  private boolean busy;

  CommitLane(SessionActor actor) {
    this.actor = actor;
  }

  /** Queues a task; returns true if the caller must start a drainer ({@link #startDrainer}). Under the actor. */
  boolean addLocked(Runnable task) {
    tasks.add(task);
    if (busy) return false;
    busy = true;
    return true;
  }

  /** Whether tasks are queued or running. Under the actor. */
  boolean busyLocked() {
    return busy;
  }

  /** Queues {@code task}; if the lane was idle the calling thread drains it now. Not under the actor. */
  void run(Runnable task) {
    boolean drain;
    synchronized (actor) {
      drain = addLocked(task);
    }
    if (drain) drain();
  }

  /** Drains the lane on a fresh virtual thread (the producer holds a monitor or must not wait). */
  void startDrainer() {
    Thread.ofVirtual().start(this::drain);
  }

  private void drain() {
    while (true) {
      Runnable t;
      synchronized (actor) {
        t = tasks.poll();
        if (t == null) {
          busy = false;
          actor.laneIdleLocked();
          return;
        }
      }
      try {
        t.run();
      } catch (dev.baton.spi.FencedException e) {
        // cluster mode: the lease went to another node; the engine logged it and dropped the session here
      } catch (RuntimeException e) {
        actor.engine.log.error("session {}: commit failed", actor.key, e);
      }
    }
  }
}
