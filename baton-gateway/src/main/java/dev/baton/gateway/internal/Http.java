package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;

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

  /** Reads the whole body; the server's max_body_bytes limit turns a larger one into a 413. */
  public static byte[] body(ServerRequest req, long maxBytes) {
    if (req.headers().contentLength().orElse(0) > maxBytes) {
      throw new HttpError(413, "payload_too_large", "body is larger than " + maxBytes + " bytes");
    }
    if (!req.content().hasEntity()) return new byte[0];
    byte[] body = req.content().as(byte[].class);
    if (body.length > maxBytes) {
      throw new HttpError(413, "payload_too_large", "body is larger than " + maxBytes + " bytes");
    }
    return body;
  }
}
