package dev.baton.internal.engine;

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
 */
final class GateAgent implements Agent {

  final Semaphore entered = new Semaphore(0);
  final CountDownLatch gate = new CountDownLatch(1);
  final List<List<String>> turns = new CopyOnWriteArrayList<>();
  final AtomicInteger interrupted = new AtomicInteger();
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
        throw e;
      }
    }
    echo.onTurn(turn);
  }

  void open() {
    gate.countDown();
  }

  /** Waits (bounded) until {@code n} more turns have entered the agent. */
  void awaitEntered(int n) throws InterruptedException {
    if (!entered.tryAcquire(n, Replies.WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("turns did not start; seen " + turns);
    }
  }
}
