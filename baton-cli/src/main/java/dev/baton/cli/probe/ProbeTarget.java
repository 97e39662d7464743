package dev.baton.cli.probe;

import java.util.function.BooleanSupplier;

/** How the probe reaches a bot under test: sends a user's message, and collects every user's replies. */
interface ProbeTarget extends AutoCloseable {

  /** One delivery of {@code id} by {@code user}; {@code status[0]} receives the HTTP status (-1: no answer). */
  Recorder.Answer send(String user, String id, String text, String chat, int[] status);

  /** Collects {@code user}'s replies into the recorder until {@code stop} says so (runs on its own thread). */
  void read(String user, Recorder record, BooleanSupplier stop);

  /** The sentence that says why every delivery was refused as unauthorized. */
  String unauthorizedHint();

  @Override
  void close();

  /**
   * How a platform webhook's status reads (Telegram, Slack): any 2xx is taken — a platform webhook cannot say
   * "duplicate", so a redelivery is taken too and judged by its replies —, 401/403 unauthorized, 429 busy.
   */
  static Recorder.Answer webhookAnswer(int s) {
    if (s >= 200 && s < 300) return Recorder.Answer.ACCEPTED;
    if (s == 401 || s == 403) return Recorder.Answer.UNAUTHORIZED;
    if (s == 429) return Recorder.Answer.BUSY;
    return s >= 400 && s < 500 ? Recorder.Answer.REFUSED : Recorder.Answer.FAILED;
  }

  /** A stand-in platform API's method: the last segment of the request path ({@code sendMessage}). */
  static String method(com.sun.net.httpserver.HttpExchange ex) {
    String path = ex.getRequestURI().getPath();
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** A stand-in platform API's request body, at most 1 MiB. */
  static byte[] body(com.sun.net.httpserver.HttpExchange ex) throws java.io.IOException {
    try (java.io.InputStream in = ex.getRequestBody()) {
      return in.readNBytes(1 << 20);
    }
  }

  /** The status of one request, -1 when it got no HTTP answer (refused connection, timeout, interrupt). */
  static int exchange(java.net.http.HttpClient http, java.net.http.HttpRequest req) {
    try {
      return http.send(req, java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (java.io.IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }
}
