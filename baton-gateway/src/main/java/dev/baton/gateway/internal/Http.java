package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import dev.baton.spi.Scheduler;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/** Small helpers over Helidon's request and response for the handlers. */
public final class Http {

  private Http() {}

  public static void json(ServerResponse res, int status, JsonNode body) {
    json(res, status, Json.bytes(body));
  }

  public static void json(ServerResponse res, int status, byte[] body) {
    res.status(status).header(HeaderNames.CONTENT_TYPE, "application/json").send(body);
  }

  public static void error(ServerResponse res, HttpError e) {
    json(res, e.status(), Json.error(e.code(), e.getMessage()));
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
   * Reads the whole body within {@code readLimit} (by the Scheduler's clock); the server's max_body_bytes
   * limit turns a larger one into a 413. A client that is slower than the limit has its connection closed:
   * the Scheduler interrupts this virtual thread, which closes the socket it is blocked on (JDK socket
   * I/O on virtual threads is interruptible).
   */
  public static byte[] body(ServerRequest req, long maxBytes, Scheduler scheduler, Duration readLimit) {
    if (req.headers().contentLength().orElse(0) > maxBytes) {
      throw new HttpError(413, "payload_too_large", "body is larger than " + maxBytes + " bytes");
    }
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
    byte[] body;
    try {
      body = req.content().as(byte[].class);
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
    if (body.length > maxBytes) {
      throw new HttpError(413, "payload_too_large", "body is larger than " + maxBytes + " bytes");
    }
    return body;
  }
}
