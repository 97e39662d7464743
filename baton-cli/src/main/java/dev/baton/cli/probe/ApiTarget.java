package dev.baton.cli.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the probe's client of Baton's message API (docs/http-api.md), which any target of --protocol api
 * serves: POST /v1/messages with an HS256 token per user, replies by long poll on GET /v1/replies or (--replies
 * events) over one server-sent event stream per user on GET /v1/events, resumed with Last-Event-ID.
 *
 * Concurrency: thread-safe; one HttpClient (virtual-thread executor) serves every sender and reader. Tokens are
 * minted once per user.
 */
final class ApiTarget implements ProbeTarget {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final MACSigner signer;
  private final HttpClient http;
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final Duration pollWait;
  private final Map<String, Integer> seqs;
  /** Replies are read from GET /v1/events (else by long poll on GET /v1/replies). */
  private final boolean events;

  ApiTarget(URI base, String jwtSecret, Duration pollWait) {
    this(base, jwtSecret, pollWait, false, Map.of());
  }

  /**
   * {@code events}: read replies from GET /v1/events; {@code seqs}: the {@code seq} to send with each message, by
   * {@code "user\nid"} (none for one it does not hold).
   */
  ApiTarget(URI base, String jwtSecret, Duration pollWait, boolean events, Map<String, Integer> seqs) {
    this.base = base;
    this.pollWait = pollWait;
    this.events = events;
    this.seqs = seqs;
    try {
      byte[] key = jwtSecret.getBytes(StandardCharsets.UTF_8);
      if (key.length < 32) throw new IllegalArgumentException("--jwt-secret must be at least 32 bytes (HS256)");
      this.signer = new MACSigner(key);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("--jwt-secret: " + e.getMessage(), e);
    }
    this.http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
        .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
  }

  String token(String user) {
    return tokens.computeIfAbsent(user, u -> {
      try {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(u)
            .expirationTime(new Date(System.currentTimeMillis() + 6 * 3600_000L)).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        jwt.sign(signer);
        return jwt.serialize();
      } catch (JOSEException e) {
        throw new IllegalStateException("cannot sign a token", e);
      }
    });
  }

  @Override
  public Recorder.Answer send(String user, String id, String text, String chat, int[] status) {
    ObjectNode body = JSON.createObjectNode().put("id", id).put("text", text);
    if (!chat.isEmpty()) body.put("chat", chat);
    Integer seq = seqs.get(user + "\n" + id);
    if (seq != null) body.put("seq", seq);
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/messages")).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token(user)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    int s = ProbeTarget.exchange(http, req);
    status[0] = s;
    return switch (s) {
      case 202 -> Recorder.Answer.ACCEPTED;
      case 200 -> Recorder.Answer.DUPLICATE;
      case 429 -> Recorder.Answer.BUSY;
      case 401 -> Recorder.Answer.UNAUTHORIZED;
      default -> s >= 400 && s < 500 ? Recorder.Answer.REFUSED : Recorder.Answer.FAILED;
    };
  }

  /** Reads {@code user}'s replies into the recorder until {@code stop} says so: by long poll, or over SSE. */
  @Override
  public void read(String user, Recorder record, BooleanSupplier stop) {
    if (events) readEvents(user, record, stop);
    else poll(user, record, stop);
  }

  /** Long-polls GET /v1/replies; a reply whose {@code id} was already recorded is skipped (a cursor that does not move). */
  private void poll(String user, Recorder record, BooleanSupplier stop) {
    String cursor = "";
    Set<String> seen = new HashSet<>();
    while (!stop.getAsBoolean()) {
      String q = "/v1/replies?wait_ms=" + pollWait.toMillis()
          + (cursor.isEmpty() ? "" : "&after=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
      HttpRequest req = HttpRequest.newBuilder(base.resolve(q)).timeout(pollWait.plusSeconds(10))
          .header("Authorization", "Bearer " + token(user)).GET().build();
      try {
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
          Thread.sleep(50); // refused poll (429 too_many_polls, 5xx): try again shortly
          continue;
        }
        long now = System.nanoTime();
        JsonNode answer = JSON.readTree(res.body());
        for (JsonNode r : answer.path("replies")) record(user, r, now, record, seen);
        String next = answer.path("next").asText("");
        if (!next.isEmpty()) cursor = next;
      } catch (IOException e) {
        if (!pause()) return;
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /**
   * Reads GET /v1/events: one stream per user, each {@code reply} event recorded like a polled reply, {@code delta}
   * and {@code status} events (partial text, never repeated) ignored. After a drop it reconnects with the
   * {@code id:} of the last reply it recorded as Last-Event-ID, so the target sends exactly the replies after it
   * (and a reply with an id already recorded is skipped all the same). A 404/405 (no such route) ends the run.
   */
  private void readEvents(String user, Recorder record, BooleanSupplier stop) {
    String lastId = "";
    Set<String> seen = new HashSet<>();
    int recorded = 0;
    String acked = "";
    while (!stop.getAsBoolean()) {
      HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/events"))
          .header("Authorization", "Bearer " + token(user)).header("Accept", "text/event-stream").GET();
      if (!lastId.isEmpty()) b.header("Last-Event-ID", lastId);
      java.util.concurrent.CompletableFuture<HttpResponse<Stream<String>>> call =
          http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofLines());
      HttpResponse<Stream<String>> res;
      try {
        res = awaitOrStop(call, stop);
      } catch (IOException e) {
        if (!pause()) return;
        continue;
      } catch (InterruptedException e) {
        return;
      }
      if (res == null) return; // stopped while connecting
      int status = res.statusCode();
      if (status == 404 || status == 405) {
        res.body().close();
        record.cannotDrive("the target answered " + status + " to GET /v1/events: it serves no event stream, "
            + "so --replies events cannot read its replies (use --replies poll)");
        return;
      }
      if (status == 401) {
        res.body().close();
        record.cannotDrive(unauthorizedHint());
        return;
      }
      if (status != 200) { // 429 too_many_streams (an old stream's slot not yet given back), 503: again shortly
        res.body().close();
        if (!pause()) return;
        continue;
      }
      Stream<String> lines = res.body();
      AtomicBoolean done = new AtomicBoolean();
      Thread watcher = Thread.ofVirtual().name("probe-events-stop-" + user).start(() -> {
        try {
          while (!done.get() && !stop.getAsBoolean()) Thread.sleep(20);
        } catch (InterruptedException e) {
          // the stream ended first
        }
        lines.close(); // unblocks the read below
      });
      String event = "";
      String id = "";
      StringBuilder data = new StringBuilder();
      try {
        Iterator<String> it = lines.iterator();
        while (it.hasNext()) {
          String line = it.next();
          if (line.isEmpty()) { // end of one event
            if (event.equals("reply") && !data.isEmpty()) {
              JsonNode r = JSON.readTree(data.toString());
              record(user, r, System.nanoTime(), record, seen);
              recorded++;
              if (!id.isEmpty()) lastId = id;
            }
            event = "";
            id = "";
            data.setLength(0);
          } else if (line.startsWith(":")) {
            continue; // comment: ": connected", ": ping"
          } else {
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) value = value.substring(1);
            switch (field) {
              case "event" -> event = value;
              case "id" -> id = value;
              case "data" -> data.append(data.isEmpty() ? "" : "\n").append(value);
              default -> { } // retry and unknown fields: ignored
            }
          }
          // Acknowledge now and then (Baton keeps unacknowledged replies, up to its reply_buffer, until then).
          if (recorded >= 50 && !lastId.equals(acked)) {
            acked = lastId;
            recorded = 0;
            acknowledge(user, acked);
          }
        }
      } catch (RuntimeException | IOException e) {
        // the stream broke (or was closed at stop): reconnect from lastId
      } finally {
        done.set(true);
        watcher.interrupt();
        lines.close();
      }
    }
  }

  private static @Nullable HttpResponse<Stream<String>> awaitOrStop(
      java.util.concurrent.CompletableFuture<HttpResponse<Stream<String>>> call, BooleanSupplier stop)
      throws IOException, InterruptedException {
    while (true) {
      try {
        return call.get(50, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (stop.getAsBoolean()) {
          call.cancel(true);
          return null;
        }
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
      }
    }
  }

  /** GET /v1/replies?after=<cursor>&wait_ms=0: acknowledges what the event stream delivered; the answer is ignored. */
  private void acknowledge(String user, String cursor) {
    HttpRequest req = HttpRequest.newBuilder(base.resolve("/v1/replies?wait_ms=0&after="
        + URLEncoder.encode(cursor, StandardCharsets.UTF_8))).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token(user)).GET().build();
    http.sendAsync(req, HttpResponse.BodyHandlers.discarding());
  }

  /** Records one reply object of GET /v1/replies or a {@code reply} event, unless its id was recorded already. */
  private static void record(String user, JsonNode r, long now, Recorder record, Set<String> seen) {
    String id = r.path("id").asText("");
    if (!id.isEmpty() && !seen.add(id)) return; // the same reply offered again (the cursor did not move)
    List<String> covers = new ArrayList<>();
    for (JsonNode c : r.path("covers")) if (c.isTextual()) covers.add(c.asText());
    record.replied(new Recorder.Seen(user, r.path("text").asText(""), r.path("kind").asText(""),
        r.path("in_reply_to").asText(""), now, covers));
  }

  private static boolean pause() {
    try {
      Thread.sleep(50);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  @Override
  public String unauthorizedHint() {
    return "the target answered 401 to the probe's signed tokens: is --jwt-secret the target's HS256 secret?";
  }

  @Override
  public void close() {
    http.shutdownNow();
  }
}
