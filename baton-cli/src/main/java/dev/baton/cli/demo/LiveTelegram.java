package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/*
 * Overview: a stand-in for the Telegram Bot API on 127.0.0.1 (any free port) for the live scenario's platform
 * leg: it answers sendMessage (with a fresh message_id), editMessageText and sendMessageDraft like the Bot API,
 * except that every RATE_LIMIT_EVERY-th request of a chat is answered 429 with Retry-After (header and the
 * body's parameters.retry_after, as Telegram sends them). It keeps every request with the System.nanoTime it
 * arrived at, so the scenario can check the per-chat edit rate and that each final text ended as the message.
 *
 * Concurrency: the JDK HttpServer's handlers run on virtual threads; the call list is synchronized (its monitor
 * is also what awaitText waits on), the counters are atomic.
 */
final class LiveTelegram implements AutoCloseable {

  static final int RATE_LIMIT_EVERY = 7;
  static final int RETRY_AFTER_SECONDS = 1;

  /** One request as it arrived: method, chat, message id (0 for a new message), text, and what it was answered. */
  record Call(long nanos, String method, String chat, long messageId, String text, int status) {}

  private final HttpServer server;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final List<Call> calls = new ArrayList<>();
  private final Map<String, AtomicInteger> perChat = new ConcurrentHashMap<>();
  private final AtomicLong messageIds = new AtomicLong(100);
  private final AtomicLong limited = new AtomicLong();

  LiveTelegram() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(threads);
    server.createContext("/", ex -> {
      try (InputStream in = ex.getRequestBody(); OutputStream out = ex.getResponseBody()) {
        long at = System.nanoTime();
        String path = ex.getRequestURI().getPath();
        String method = path.substring(path.lastIndexOf('/') + 1);
        JsonNode body = HostileGateway.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        String chat = body.path("chat_id").asText("");
        int n = perChat.computeIfAbsent(chat, c -> new AtomicInteger()).incrementAndGet();
        String answer;
        int status;
        long id = body.path("message_id").asLong(0);
        if (n % RATE_LIMIT_EVERY == RATE_LIMIT_EVERY / 2) {
          status = 429;
          limited.incrementAndGet();
          ex.getResponseHeaders().add("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
          answer = "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after "
              + RETRY_AFTER_SECONDS + "\",\"parameters\":{\"retry_after\":" + RETRY_AFTER_SECONDS + "}}";
        } else {
          status = 200;
          if (method.equals("sendMessage")) {
            long fresh = messageIds.incrementAndGet();
            answer = "{\"ok\":true,\"result\":{\"message_id\":" + fresh + "}}";
            id = -fresh; // a new message: remembered under its new id (negated: see messageOf)
          } else {
            answer = "{\"ok\":true,\"result\":true}";
          }
        }
        synchronized (calls) {
          calls.add(new Call(at, method, chat, id, body.path("text").asText(""), status));
          calls.notifyAll();
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        out.write(bytes);
      }
    });
    server.start();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The message a call is about: the id it created (sendMessage) or the one it edits. */
  static long messageOf(Call c) {
    return Math.abs(c.messageId());
  }

  /** Every request so far, in the order they arrived. */
  List<Call> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  long rateLimited() {
    return limited.get();
  }

  /** Waits at most {@code timeout} until a request that was answered 200 carried {@code text} to {@code chat}. */
  boolean awaitText(String chat, String text, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (calls) {
      while (true) {
        for (Call c : calls) if (c.status() == 200 && c.chat().equals(chat) && c.text().equals(text)) return true;
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        TimeUnit.NANOSECONDS.timedWait(calls, left);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
