package dev.baton.internal.engine;

import dev.baton.Admission;
import dev.baton.DedupKey;
import dev.baton.SessionKey;
import dev.baton.spi.JournalEntry;
import java.util.List;
import java.util.function.Supplier;

/*
 * Overview
 *   A single node (cluster.enabled false): it owns every session, commits are not fenced, the dispatcher's
 *   permits are the node's own max_concurrent_total, and start runs the recovery of the local store.
 *
 * Concurrency
 *   Stateless.
 */
/** Session ownership of a single node: everything is this node's. */
final class LocalOwnership implements SessionOwnership {

  @Override
  public Admission admitFresh(JournalEntry entry, Supplier<Admission> admitHere) {
    return admitHere.get();
  }

  @Override
  public long token(SessionKey session) {
    return 0;
  }

  @Override
  public void committed(List<DedupKey> keys) {}

  @Override
  public void fenced(SessionKey session, long token) {}

  @Override
  public int startingPermits(int localMax) {
    return localMax;
  }

  @Override
  public void starved() {}

  @Override
  public void start(Runnable recoverLocal) {
    recoverLocal.run();
  }

  @Override
  public void stop() {}
}
