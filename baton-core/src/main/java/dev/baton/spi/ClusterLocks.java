package dev.baton.spi;

import java.time.Instant;
import java.util.List;

/**
 * Tool resource locks that hold across the nodes of a cluster ({@code postgres}: session-level advisory
 * locks on a connection held for the call). The tool runtime takes a call's cluster locks after its local
 * locks (so the node's wait-for graph sees and breaks local cycles first) and releases them before.
 *
 * <p>Waiting never blocks inside the database: an implementation tries and backs off until the deadline, so
 * the database's own deadlock detector never sees a tool-lock cycle. A cycle across nodes ends at the
 * deadline of one of its calls (P4), with a {@link ClusterLockTimeoutException}.
 *
 * <p><b>Concurrency.</b> Thread-safe. A {@link Held} belongs to the one call that acquired it.
 */
public interface ClusterLocks {

  /**
   * One lock to take.
   *
   * @param key the canonical resource key
   * @param exclusive exclusive (write) or shared (read)
   */
  record Claim(String key, boolean exclusive) {}

  /** The cluster locks of one call; {@link #close} releases all of them. Idempotent. */
  interface Held extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Takes every claim (in the order given, which is the runtime's global key order), waiting at most until
   * {@code deadline} (the scheduler's time).
   *
   * @throws ClusterLockTimeoutException if they were not all taken by the deadline; none is held then
   * @throws InterruptedException if the calling thread was interrupted; none is held then
   */
  Held acquire(List<Claim> claims, Instant deadline) throws InterruptedException;

  /** Thrown when cluster locks were not taken by the call's deadline. */
  final class ClusterLockTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ClusterLockTimeoutException(String message) {
      super(message);
    }
  }
}
