package dev.baton.agents;

import dev.baton.Agent;
import dev.baton.BatonContext;
import dev.baton.Turn;
import java.util.concurrent.atomic.AtomicReference;

/** Runs one turn on a virtual thread with its context bound, as the engine does; join() rethrows failures. */
public final class AgentThread {

  static final long JOIN_SECONDS = 20;

  private final Thread thread;
  private final AtomicReference<Throwable> failure = new AtomicReference<>();

  private AgentThread(Agent agent, Turn turn) {
    thread = Thread.ofVirtual().name("turn").start(() -> {
      try {
        ScopedValue.where(BatonContext.CURRENT, turn.context()).call(() -> {
          agent.onTurn(turn);
          return null;
        });
      } catch (Throwable t) {
        failure.set(t);
      }
    });
  }

  public static AgentThread start(Agent agent, Turn turn) {
    return new AgentThread(agent, turn);
  }

  public void interrupt() {
    thread.interrupt();
  }

  /** Waits for the turn to end and returns what it threw (null if nothing). */
  public Throwable joinFailure() throws InterruptedException {
    if (!thread.join(java.time.Duration.ofSeconds(JOIN_SECONDS))) {
      throw new AssertionError("turn did not end within " + JOIN_SECONDS + " s");
    }
    return failure.get();
  }

  /** Waits for the turn to end; fails if it threw. */
  public void join() throws InterruptedException {
    Throwable t = joinFailure();
    if (t != null) throw new AssertionError("turn failed", t);
  }

  public static void run(Agent agent, Turn turn) throws InterruptedException {
    start(agent, turn).join();
  }

}
