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
