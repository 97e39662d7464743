package dev.baton.gateway.internal;

import dev.baton.spi.Scheduler;
import io.helidon.webserver.http.ServerRequest;
import java.time.Duration;

/** How large a request body may be and how long reading it may take (server.max_body_bytes, request_timeout_ms). */
record BodyLimits(long maxBytes, Scheduler scheduler, Duration readLimit) {

  public byte[] read(ServerRequest req) {
    return HelidonIo.body(req, maxBytes, scheduler, readLimit);
  }
}
