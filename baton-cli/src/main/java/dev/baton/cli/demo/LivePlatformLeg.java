package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Reply;
import dev.baton.config.BatonConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/*
 * Overview: the live scenario's leg through a real gateway (in process, 127.0.0.1, a free port) and a Telegram
 * stand-in (LiveTelegram) that answers 429 with Retry-After now and then. Members of two Telegram groups send
 * messages through the signed webhook; each turn streams long enough for several preview edits, which the
 * gateway throttles per chat (channels.telegram.stream_edit_interval_ms, shared by the sessions of a group).
 * Beside them, HTTP users cancel their running turn with POST /v1/cancel, and others read GET /v1/events (SSE) and
 * check on the wire that each reply's deltas build its text and each message is covered once (one is steered). A LiveRecorder sits between engine
 * and the gateway's router, so the deltas check and the cover check hold here too; the edit check is on what
 * the stand-in received: consecutive previews of a chat at least the interval apart (less a tolerance for the
 * loopback's jitter; the final text is not throttled), and each final text is the last text of its message.
 *
 * Concurrency: one virtual thread per user; every wait is bounded (LiveScenario.WAIT).
 */
final class LivePlatformLeg {

  static final long EDIT_INTERVAL_MS = 250;
  /**
   * What the loopback's jitter may take off a gap: the gateway's throttle spaces the requests it sends, the
   * stand-in sees when they arrive (the first request of a connection arrives later than the next).
   */
  static final long EDIT_TOLERANCE_MS = EDIT_INTERVAL_MS / 3;
  static final int GROUPS = 2;
  static final int MEMBERS = 2;
  static final int TELEGRAM_MESSAGES = 2;
  static final int HTTP_CANCELLERS = 2;
  static final int SSE_USERS = 2;

  final Tally edits = new Tally("P10", "per chat, preview edits no more often than stream_edit_interval_ms, and"
      + " each final text ends as its message");
  final Tally sse = new Tally("P10", "over GET /v1/events, the deltas of each reply build exactly its text and each"
      + " message is covered by one reply");
  private final LiveScenario scenario;
  private final Map<String, Integer> expected = new ConcurrentHashMap<>();
  private final AtomicLong updateIds = new AtomicLong(70_000);
  private final Map<String, Object> figures = new LinkedHashMap<>();
  private final AtomicLong sseDeltas = new AtomicLong();
  private final AtomicLong sseReplies = new AtomicLong();

  LivePlatformLeg(LiveScenario scenario) {
    this.scenario = scenario;
  }

  private static String random() {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String chat(int group) {
    return Long.toString(-1_002_000_000_000L - group);
  }

  /** Runs the leg; its checks count in the scenario's tallies and in {@link #edits}. */
  void run() throws InterruptedException {
    String secret = random();
    String telegramSecret = random();
    AtomicReference<LiveRecorder> recorder = new AtomicReference<>();
    long interval = scenario.faults.contains(LiveScenario.Fault.EDIT_TOO_OFTEN) ? EDIT_INTERVAL_MS / 5 : EDIT_INTERVAL_MS;
    try (LiveTelegram tg = new LiveTelegram()) {
      BatonConfig config = HostileConfig.base(secret, random())
          .set("agent.concurrency.queue_mode", "steer")
          .set("agent.concurrency.queue_timeout_ms", 10_000)
          .set("channels.telegram.enabled", true).set("channels.telegram.bot_token", "live-demo-bot")
          .set("channels.telegram.secret_token", telegramSecret).set("channels.telegram.api_base_url", tg.baseUrl())
          .set("channels.telegram.stream_edit_interval_ms", interval)
          .build("the live scenario's gateway");
      try (HostileGateway gw = new HostileGateway("live", config, secret, "", new LiveAgent(scenario.faults),
          new ConcurrentHashMap<>(), router -> {
            // DROP_DELTA here loses deltas between the recorder and the gateway: the SSE users must see it
            LiveRecorder r = new LiveRecorder(scenario.stream,
                scenario.faults.contains(LiveScenario.Fault.DROP_DELTA) ? LiveScenario.droppingDeltas(router) : router);
            recorder.set(r);
            return r;
          });
          ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        LiveRecorder rec = java.util.Objects.requireNonNull(recorder.get());
        List<java.util.concurrent.Future<?>> running = new ArrayList<>();
        for (int g = 1; g <= GROUPS; g++) {
          for (int m = 1; m <= MEMBERS; m++) {
            int group = g;
            long from = 7_000L + g * 10L + m;
            running.add(threads.submit(() -> {
              for (int k = 1; k <= TELEGRAM_MESSAGES; k++) telegramMessage(gw, telegramSecret, rec, tg, group, from);
              return null;
            }));
          }
        }
        for (int i = 1; i <= SSE_USERS; i++) {
          HostileGateway.User user = gw.user("live-sse-" + i);
          running.add(threads.submit(() -> {
            sseUser(gw, user);
            return null;
          }));
        }
        for (int i = 1; i <= HTTP_CANCELLERS; i++) {
          HostileGateway.User user = gw.user("live-http-" + i);
          running.add(threads.submit(() -> {
            httpCancel(gw, user, rec);
            return null;
          }));
        }
        threads.shutdown();
        if (!threads.awaitTermination(60, TimeUnit.SECONDS)) edits.check(false, "the platform leg did not end in 60 s");
        LiveScenario.ended(running, edits, "a platform leg user");
        scenario.checkCovers(rec.replies(), expected);
        checkEdits(tg.calls(), rec.replies());
        figures.put("telegram_chats", GROUPS);
        figures.put("telegram_messages", (long) GROUPS * (long) MEMBERS * TELEGRAM_MESSAGES);
        figures.put("platform_requests", (long) tg.calls().size());
        figures.put("answered_429", tg.rateLimited());
        figures.put("edit_interval_ms", interval);
        figures.put("http_cancels", (long) HTTP_CANCELLERS);
        figures.put("sse_deltas", sseDeltas.get());
        figures.put("sse_replies", sseReplies.get());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Telegram stand-in", e);
    }
  }

  Map<String, Object> figures() {
    return figures;
  }

  private void telegramMessage(HostileGateway gw, String secret, LiveRecorder rec, LiveTelegram tg, int group,
      long from) throws InterruptedException {
    long update = updateIds.incrementAndGet();
    String id = Long.toString(update);
    expected.put(id, 1);
    ObjectNode u = JsonNodeFactory.instance.objectNode().put("update_id", update);
    ObjectNode m = u.putObject("message").put("message_id", update).put("date", System.currentTimeMillis() / 1000)
        .put("text", "long");
    m.putObject("from").put("id", from).put("is_bot", false).put("first_name", "Member");
    m.putObject("chat").put("id", Long.parseLong(chat(group))).put("type", "supergroup").put("title", "live " + group);
    HostileGateway.Response r = gw.telegram(secret, u);
    scenario.steer.check(r.status() == 200, "Telegram update " + id + " was answered " + r.describe());
    Optional<LiveRecorder.Seen> reply = LiveScenario.await(rec.reply(id), LiveScenario.WAIT);
    scenario.steer.check(reply.isPresent() && reply.get().reply().kind() == Reply.Kind.REPLY, "Telegram message "
        + id + " was answered " + reply.map(s -> "with a " + s.reply().kind() + " reply").orElse("never"));
    if (reply.isEmpty()) return;
    edits.check(tg.awaitText(chat(group), reply.get().reply().text(), LiveScenario.WAIT), "the final text of "
        + id + " never reached Telegram chat " + chat(group));
  }

  private void httpCancel(HostileGateway gw, HostileGateway.User user, LiveRecorder rec) throws InterruptedException {
    String id = user.sub + "-1";
    expected.put(id, 1);
    HostileGateway.Response posted = gw.post(user, HostileGateway.message(id, "think", null));
    scenario.steer.check(posted.status() == 202, "POST " + id + " was answered " + posted.describe());
    if (LiveScenario.await(rec.firstDelta(id), LiveScenario.WAIT).isEmpty()) {
      scenario.cancel.check(false, id + ": its turn never streamed");
      return;
    }
    long asked = System.nanoTime();
    HostileGateway.Response c = gw.cancel(user, JsonNodeFactory.instance.objectNode().put("drop_queued", false));
    scenario.count("http_post_cancel");
    scenario.cancel.check(c.status() == 200 && c.body().path("cancelled").asInt(-1) == 1,
        "POST /v1/cancel of " + user.sub + " was answered " + c.describe());
    scenario.cancelled(rec, id, asked);
  }

  /** One server-sent event as the client read it. */
  private record Sse(String event, JsonNode data) {}

  /**
   * An HTTP user who reads {@code GET /v1/events} over the wire: sends a message once the stream is connected and
   * a second one at the first delta of its turn (steered), then checks on the events alone that each reply's
   * deltas build exactly its text and that each message is covered by exactly one reply.
   */
  private void sseUser(HostileGateway gw, HostileGateway.User user) throws InterruptedException {
    LinkedBlockingQueue<Sse> events = new LinkedBlockingQueue<>();
    try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
      HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + gw.authority() + "/v1/events"))
          .header("Authorization", "Bearer " + user.token).header("Accept", "text/event-stream").GET().build();
      CompletableFuture<HttpResponse<Stream<String>>> opened = client.sendAsync(req, HttpResponse.BodyHandlers.ofLines());
      Optional<HttpResponse<Stream<String>>> res = LiveScenario.await(opened, LiveScenario.WAIT);
      if (res.isEmpty() || res.get().statusCode() != 200) {
        sse.check(false, "GET /v1/events of " + user.sub + " was answered "
            + res.map(r -> Integer.toString(r.statusCode())).orElse("never"));
        return;
      }
      Thread reader = Thread.ofVirtual().name("demo-live-sse").start(() -> read(res.get().body(), events));
      try {
        List<String> ids = List.of(user.sub + "-1", user.sub + "-2");
        for (String id : ids) expected.put(id, 1);
        gw.post(user, HostileGateway.message(ids.get(0), "chat", null));
        Map<String, StringBuilder> built = new HashMap<>();
        Map<String, Integer> covered = new HashMap<>();
        boolean steered = false;
        long deadline = System.nanoTime() + LiveScenario.WAIT.toNanos();
        while (!covered.keySet().containsAll(ids)) {
          Sse e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
          if (e == null) {
            sse.check(false, user.sub + " over GET /v1/events: replies covered " + covered.keySet()
                + " of " + ids + " in " + LiveScenario.WAIT.toSeconds() + " s");
            return;
          }
          if (e.event().equals("delta")) {
            sseDeltas.incrementAndGet();
            StringBuilder b = built.computeIfAbsent(e.data().path("reply_id").asText(), k -> new StringBuilder());
            sse.check(e.data().path("offset").asLong(-1) == b.length(), user.sub + " over GET /v1/events:"
                + " a delta of " + e.data().path("reply_id").asText() + " at offset " + e.data().path("offset")
                + " after " + b.length() + " chars");
            b.append(e.data().path("text").asText());
            if (!steered) {
              steered = true;
              gw.post(user, HostileGateway.message(ids.get(1), "chat", null)); // while the turn streams
            }
          } else if (e.event().equals("reply")) {
            sseReplies.incrementAndGet();
            String replyId = e.data().path("reply_id").asText("");
            String text = e.data().path("text").asText();
            StringBuilder b = built.getOrDefault(replyId, new StringBuilder());
            sse.check(!replyId.isEmpty() && b.toString().equals(text), user.sub + " over GET /v1/events:"
                + " the deltas of '" + replyId + "' built '" + b + "', its reply says '" + text + "'");
            for (JsonNode c : e.data().path("covers")) covered.merge(c.asText(), 1, Integer::sum);
          }
        }
        for (String id : ids) {
          sse.check(covered.getOrDefault(id, 0) == 1, user.sub + " over GET /v1/events: " + id
              + " was covered by " + covered.getOrDefault(id, 0) + " replies");
        }
      } finally {
        client.shutdownNow();
        reader.interrupt();
      }
    }
  }

  /** Parses {@code event:}/{@code data:} lines into events until the stream ends. */
  private static void read(Stream<String> lines, LinkedBlockingQueue<Sse> events) {
    String[] event = {""};
    StringBuilder data = new StringBuilder();
    try (lines) {
      lines.forEach(line -> {
        if (line.isEmpty()) {
          if (!event[0].isEmpty() && data.length() > 0) events.add(new Sse(event[0], HostileGateway.parse(data.toString())));
          event[0] = "";
          data.setLength(0);
        } else if (line.startsWith("event:")) {
          event[0] = line.substring(6).strip();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).strip());
        }
      });
    } catch (RuntimeException e) {
      // the stream was closed by the user's end (shutdownNow) or the gateway's: nothing more to read
    }
  }

  /**
   * Per chat: previews (every request but those carrying a final text) at least the interval apart, less the
   * tolerance; each final text is the last text its message got.
   */
  private void checkEdits(List<LiveTelegram.Call> calls, List<Reply> replies) {
    Map<String, Set<String>> finals = new HashMap<>();
    for (Reply r : replies) {
      if (r.channel().equals("telegram")) finals.computeIfAbsent(r.chat(), c -> new HashSet<>()).add(r.text());
    }
    long previews = 0;
    double minGapMs = Double.MAX_VALUE;
    Map<String, List<LiveTelegram.Call>> byChat = new HashMap<>();
    for (LiveTelegram.Call c : calls) byChat.computeIfAbsent(c.chat(), k -> new ArrayList<>()).add(c);
    for (Map.Entry<String, List<LiveTelegram.Call>> e : byChat.entrySet()) {
      Set<String> finalTexts = finals.getOrDefault(e.getKey(), Set.of());
      List<LiveTelegram.Call> ps = e.getValue().stream().filter(c -> !finalTexts.contains(c.text()))
          .sorted(Comparator.comparingLong(LiveTelegram.Call::nanos)).toList();
      previews += ps.size();
      for (int i = 1; i < ps.size(); i++) {
        double gap = (ps.get(i).nanos() - ps.get(i - 1).nanos()) / 1e6;
        minGapMs = Math.min(minGapMs, gap);
        edits.check(gap >= EDIT_INTERVAL_MS - EDIT_TOLERANCE_MS, String.format(java.util.Locale.ROOT,
            "Telegram chat %s got two previews %.1f ms apart (stream_edit_interval_ms %d)", e.getKey(), gap,
            EDIT_INTERVAL_MS));
      }
      for (String text : finalTexts) {
        List<LiveTelegram.Call> ok = e.getValue().stream().filter(c -> c.status() == 200).toList();
        int last = -1;
        for (int i = 0; i < ok.size(); i++) if (ok.get(i).text().equals(text)) last = i;
        if (last < 0) continue; // counted by telegramMessage
        long message = LiveTelegram.messageOf(ok.get(last));
        boolean later = false;
        for (int i = last + 1; i < ok.size(); i++) later |= LiveTelegram.messageOf(ok.get(i)) == message;
        edits.check(!later, "Telegram chat " + e.getKey() + ": message " + message + " was edited after its final text");
      }
    }
    figures.put("previews", previews);
    figures.put("min_preview_gap_ms", minGapMs == Double.MAX_VALUE ? 0.0 : Math.round(minGapMs * 10) / 10.0);
  }
}
