package dev.baton.gateway.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A client of {@code GET /v1/events} over a real socket: java.net.http with {@code BodyHandlers.ofLines}, its
 * own HttpClient (so {@link #close} drops the connection), and a reader thread that parses the lines into
 * events. {@link #next} waits at most 10 s (then the test fails). No sleeping.
 */
public final class SseClient implements AutoCloseable {

  /** One SSE block: a comment ({@code event} "comment", {@code data} its text) or an event. */
  public record Event(String id, String event, String data) {}

  private static final Event END = new Event("", "<end>", "");

  private final HttpClient http = HttpClient.newHttpClient();
  public final int status;
  public final String body;
  public final String contentType;
  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final Thread reader;

  public SseClient(URI uri, String auth, String lastEventId) {
    this(builder(uri, auth, lastEventId));
  }

  private static HttpRequest.Builder builder(URI uri, String auth, String lastEventId) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").GET();
    if (auth != null) b.header("Authorization", auth);
    if (lastEventId != null) b.header("Last-Event-ID", lastEventId);
    return b;
  }

  /** A stream opened with the given request (for example with a cookie instead of a token). */
  public SseClient(HttpRequest.Builder b) {
    HttpResponse<Stream<String>> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofLines());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    status = r.statusCode();
    contentType = r.headers().firstValue("Content-Type").orElse("");
    if (status != 200) {
      body = String.join("\n", r.body().toList());
      reader = null;
      return;
    }
    body = "";
    Stream<String> lines = r.body();
    reader = Thread.ofPlatform().daemon().name("sse-reader").start(() -> {
      try {
        Iterator<String> it = lines.iterator();
        String id = "";
        String event = "";
        StringBuilder data = new StringBuilder();
        while (it.hasNext()) {
          String line = it.next();
          if (line.isEmpty()) {
            if (!event.isEmpty() || !data.isEmpty()) events.add(new Event(id, event.isEmpty() ? "message" : event, data.toString()));
            id = "";
            event = "";
            data.setLength(0);
          } else if (line.startsWith(":")) {
            events.add(new Event("", "comment", line.substring(1).trim()));
          } else if (line.startsWith("id: ")) {
            id = line.substring(4);
          } else if (line.startsWith("event: ")) {
            event = line.substring(7);
          } else if (line.startsWith("data: ")) {
            if (!data.isEmpty()) data.append('\n');
            data.append(line.substring(6));
          } else {
            events.add(new Event("", "<bad line>", line));
          }
        }
      } catch (RuntimeException e) {
        // the connection was dropped (close()) or reset
      } finally {
        events.add(END);
      }
    });
  }

  /** The next block, waiting at most 10 s. */
  public Event next() {
    try {
      Event e = events.poll(10, TimeUnit.SECONDS);
      if (e == null) throw new AssertionError("no event within 10 s");
      return e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The next block that is not a comment. */
  public Event nextEvent() {
    while (true) {
      Event e = next();
      if (!e.event().equals("comment")) return e;
    }
  }

  /** Waits for the {@code : connected} comment: from then on the stream is registered for live events. */
  public SseClient awaitConnected() {
    Event e = next();
    if (!e.event().equals("comment") || !e.data().equals("connected")) {
      throw new AssertionError("expected the connected comment, got " + e);
    }
    return this;
  }

  /** Whether {@code e} is the end of the stream (the server closed it). */
  public static boolean isEnd(Event e) {
    return e == END;
  }

  /** Reads blocks until the stream ends (10 s per block at most). */
  public List<Event> untilEnd() {
    List<Event> out = new ArrayList<>();
    for (Event e = next(); !isEnd(e); e = next()) out.add(e);
    return out;
  }

  @Override
  public void close() {
    http.shutdownNow();
    if (reader != null) {
      try {
        reader.join(Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
