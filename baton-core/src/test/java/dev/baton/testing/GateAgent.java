package dev.baton.testing;

import dev.baton.Agent;
import dev.baton.Turn;
import dev.baton.internal.agent.EchoAgent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Echo, except that a turn whose last message's text starts with {@code "wait"} blocks (interruptibly)
 * until {@link #open} is called. Records every turn's message texts and how many turns were interrupted.
 *
 * <p><b>Concurrency.</b> Turns of any sessions may run it at once; the records are concurrent collections and
 * the waits are bounded by {@link ReplyLog#WAIT}.
 */
public class GateAgent implements Agent {

  public final Semaphore entered = new Semaphore(0);
  public final CountDownLatch gate = new CountDownLatch(1);
  public final List<List<String>> turns = new CopyOnWriteArrayList<>();
  public final AtomicInteger interrupted = new AtomicInteger();
  private final Semaphore interrupts = new Semaphore(0);
  private final EchoAgent echo = new EchoAgent();

  @Override
  public void onTurn(Turn turn) throws Exception {
    List<String> texts = new ArrayList<>();
    for (Turn.Message m : turn.messages()) texts.add(m.text());
    turns.add(texts);
    entered.release();
    if (texts.getLast().startsWith("wait")) {
      try {
        gate.await();
      } catch (InterruptedException e) {
        interrupted.incrementAndGet();
        interrupts.release();
        throw e;
      }
    }
    echo.onTurn(turn);
  }

  public void open() {
    gate.countDown();
  }

  /** Waits (bounded) until a turn blocked in the agent has been interrupted. */
  public void awaitInterrupted() throws InterruptedException {
    if (!interrupts.tryAcquire(ReplyLog.WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("no turn was interrupted");
    }
  }

  /** Waits (bounded) until {@code n} more turns have entered the agent. */
  public void awaitEntered(int n) throws InterruptedException {
    if (!entered.tryAcquire(n, ReplyLog.WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("turns did not start; seen " + turns);
    }
  }
}
