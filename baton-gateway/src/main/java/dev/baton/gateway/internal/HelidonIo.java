package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import dev.baton.spi.Scheduler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/** Small helpers over Helidon's request and response for the handlers. */
final class HelidonIo {

  private HelidonIo() {}

  public static void json(ServerResponse res, int status, JsonNode body) {
    json(res, status, JsonFields.bytes(body));
  }

  public static void json(ServerResponse res, int status, byte[] body) {
    res.status(status).header(HeaderNames.CONTENT_TYPE, "application/json").send(body);
  }

  public static void error(ServerResponse res, HttpError e) {
    json(res, e.status(), JsonFields.error(e.code(), String.valueOf(e.getMessage())));
  }

  public static Optional<String> header(ServerRequest req, String name) {
    return req.headers().first(HeaderNames.create(name));
  }

  public static Optional<String> header(ServerRequest req, HeaderName name) {
    return req.headers().first(name);
  }

  public static Optional<String> query(ServerRequest req, String name) {
    return req.query().contains(name) ? Optional.of(req.query().get(name)) : Optional.empty();
  }

  /**
   * Reads the whole body within {@code readLimit} (by the Scheduler's clock). A body larger than
   * {@code maxBytes} is read to its end and discarded, then refused with 413: answering before the client
   * finished sending would make the TCP stack reset the connection and the client would never see the 413.
   * (Helidon's own, higher limit, {@link #transportLimit}, cuts off bodies that are far too large.) A client
   * slower than the limit has its connection closed: the Scheduler interrupts this virtual thread, which
   * closes the socket it is blocked on (JDK socket I/O on virtual threads is interruptible).
   */
  public static byte[] body(ServerRequest req, long maxBytes, Scheduler scheduler, Duration readLimit) {
    if (!req.content().hasEntity()) return new byte[0];
    Thread reader = Thread.currentThread();
    ReentrantLock gate = new ReentrantLock();
    boolean[] done = {false};
    boolean[] fired = {false};
    Scheduler.Cancellable timer = scheduler.schedule(readLimit, () -> {
      gate.lock();
      try {
        if (!done[0]) {
          fired[0] = true;
          reader.interrupt();
        }
      } finally {
        gate.unlock();
      }
    });
    long declared = req.headers().contentLength().orElse(-1);
    ByteArrayOutputStream kept = new ByteArrayOutputStream(declared >= 0 && declared <= maxBytes ? 0 : 1024);
    byte[] exact = null;
    long total = 0;
    try (InputStream in = req.content().inputStream()) {
      if (declared >= 0 && declared <= maxBytes) {
        exact = in.readNBytes((int) declared); // the common case: one exact read, no copies
        total = exact.length;
      } else {
        byte[] chunk = new byte[8192];
        for (int n; (n = in.read(chunk)) != -1; ) {
          if (total + n <= maxBytes) kept.write(chunk, 0, n);
          total += n;
        }
      }
    } catch (IOException | java.io.UncheckedIOException e) {
      if (fired[0]) throw new HttpError(408, "request_timeout", "request took too long");
      throw new HttpError(400, "bad_request", "the request body could not be read");
    } finally {
      timer.cancel();
      gate.lock();
      try {
        done[0] = true;
        if (fired[0]) Thread.interrupted(); // clear the flag; the connection is closed anyway
      } finally {
        gate.unlock();
      }
    }
    if (fired[0]) throw new HttpError(408, "request_timeout", "request took too long");
    if (total > maxBytes) {
      throw new HttpError(413, "payload_too_large", "body is larger than " + maxBytes + " bytes");
    }
    return exact != null ? exact : kept.toByteArray();
  }

  /** The transport's hard limit on a body: well above max_body_bytes, so most oversized bodies get a clean 413. */
  public static long transportLimit(long maxBytes) {
    return Math.max(maxBytes * 4, maxBytes + (1 << 20));
  }
}
