package dev.baton.gateway.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/*
 * Overview: one open console page's GET /console/stream. The request's virtual thread writes; the feed's tick
 * hands it each new snapshot with offer(), which only keeps the newest (a slow page skips snapshots, nothing
 * queues up) and signals. With a session chosen (the timeline view), each snapshot is followed by that
 * session's timeline. The stream ends when the client goes away, the gateway stops (close()), or the login
 * behind it ends (logout, or expiry: `stillLoggedIn` is asked before every write).
 * Concurrency: `lock` guards `pending` and `closed`; it is never held while writing to the socket.
 */
final class ConsoleStream {

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private byte @Nullable [] pending;
  private boolean closed;

  void offer(byte[] snapshot) {
    lock.lock();
    try {
      pending = snapshot;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void close() {
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes {@code first}, then every snapshot offered, until the end.
   *
   * @param extra what follows each snapshot (the chosen session's timeline frame), or null
   */
  void run(OutputStream out, byte[] first, BooleanSupplier stillLoggedIn,
      @Nullable Function<byte[], String> extra) throws IOException {
    byte[] next = first;
    while (true) {
      if (!stillLoggedIn.getAsBoolean()) return;
      StringBuilder b = new StringBuilder(next.length + 64);
      b.append("event: snapshot\ndata: ").append(new String(next, StandardCharsets.UTF_8)).append("\n\n");
      if (extra != null) b.append(extra.apply(next));
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      lock.lock();
      try {
        while (!closed && pending == null) changed.awaitUninterruptibly();
        byte[] p = pending;
        if (closed || p == null) return;
        next = p;
        pending = null;
      } finally {
        lock.unlock();
      }
    }
  }
}
