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
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/*
 * Overview: the probe's client of Baton's message API (docs/http-api.md), which any target of --protocol api
 * serves: POST /v1/messages with an HS256 token per user, replies by long poll on GET /v1/replies.
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

  /** {@code seqs}: the {@code seq} to send with each message, by {@code "user\nid"} (none for one it does not hold). */
  ApiTarget(URI base, String jwtSecret, Duration pollWait, Map<String, Integer> seqs) {
    this.base = base;
    this.pollWait = pollWait;
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

  /** Long-polls {@code user}'s replies into the recorder until {@code stop} says so. */
  @Override
  public void read(String user, Recorder record, BooleanSupplier stop) {
    String cursor = "";
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
        for (JsonNode r : answer.path("replies")) {
          java.util.List<String> covers = new java.util.ArrayList<>();
          for (JsonNode c : r.path("covers")) if (c.isTextual()) covers.add(c.asText());
          record.replied(new Recorder.Seen(user, r.path("text").asText(""), r.path("kind").asText("reply"),
              r.path("in_reply_to").asText(""), now, covers));
        }
        String next = answer.path("next").asText("");
        if (!next.isEmpty()) cursor = next;
      } catch (IOException e) {
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          return;
        }
      } catch (InterruptedException e) {
        return;
      }
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
