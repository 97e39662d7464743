package dev.baton.gateway.internal;

import dev.baton.spi.StoreException;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpException;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview: every failure becomes {"error":{"code":…,"message":…}} with a status that blames the right
 * side: client mistakes are 4xx (HttpError, Helidon's own request errors: oversized body, bad request line,
 * headers too large), a store outage is 503, anything else is 500 with a generic message. Neither the
 * response nor the log line carries a stack trace or the exception's message (which could echo input or a
 * secret): only the exception's class name is logged.
 */
final class ErrorMapping {

  private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

  private ErrorMapping() {}

  public static void register(HttpRouting.Builder routing) {
    routing.error(HttpError.class, (req, res, e) -> HelidonIo.error(res, e))
        .error(RequestException.class, (req, res, e) -> {
          int code = e.status().code();
          if (code >= 400 && code < 500) {
            HelidonIo.json(res, code, JsonFields.error(codeOf(code), reason(code)));
          } else {
            log.warn("request failed: {} {}", code, e.getClass().getName());
            HelidonIo.json(res, 500, JsonFields.error("internal", "internal error"));
          }
        })
        .error(HttpException.class, (req, res, e) -> {
          int code = e.status().code();
          if (code >= 400 && code < 500) {
            HelidonIo.json(res, code, JsonFields.error(codeOf(code), reason(code)));
          } else {
            log.warn("request failed: {} {}", code, e.getClass().getName());
            HelidonIo.json(res, 500, JsonFields.error("internal", "internal error"));
          }
        })
        .error(StoreException.class, (req, res, e) -> {
          log.warn("store unavailable: {}", e.getClass().getName());
          HelidonIo.json(res, 503, JsonFields.error("unavailable", "storage is unavailable; retry later"));
        })
        .error(Throwable.class, (req, res, e) -> {
          log.warn("request failed: {}", e.getClass().getName());
          HelidonIo.json(res, 500, JsonFields.error("internal", "internal error"));
        });
  }

  /** Answers for errors Helidon detects before routing (request line, headers, declared body size). */
  public static DirectHandlers directHandlers() {
    DirectHandler json = new DirectHandler() {
      @Override
      public TransportResponse handle(TransportRequest request, EventType eventType, Status status,
          io.helidon.http.ServerResponseHeaders headers, String message) {
        int code = status.code();
        boolean client = code >= 400 && code < 500;
        return TransportResponse.builder().status(status)
            .header(HeaderNames.CONTENT_TYPE, "application/json")
            .entity(client ? JsonFields.error(codeOf(code), reason(code)) : JsonFields.error("internal", "internal error"))
            .keepAlive(false)
            .build();
      }
    };
    DirectHandlers.Builder b = DirectHandlers.builder();
    for (DirectHandler.EventType t : DirectHandler.EventType.values()) b.addHandler(t, json);
    return b.build();
  }

  static String codeOf(int status) {
    return switch (status) {
      case 413 -> "payload_too_large";
      case 431 -> "headers_too_large";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      default -> "bad_request";
    };
  }

  static String reason(int status) {
    return switch (status) {
      case 413 -> "request body is too large";
      case 431 -> "request headers are too large";
      case 404 -> "no such resource";
      case 405 -> "method not allowed";
      case 408 -> "request took too long";
      default -> "malformed request";
    };
  }
}
