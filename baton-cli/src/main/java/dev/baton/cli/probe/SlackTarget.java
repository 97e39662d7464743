package dev.baton.cli.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the probe as Slack. It posts each message as a signed Events API event_callback to the bot's webhook
 * (--target; X-Slack-Request-Timestamp and X-Slack-Signature "v0=" + hex(HMAC-SHA256(--webhook-secret,
 * "v0:" + timestamp + ":" + body))), and runs a stand-in Web API on --platform-port that the bot is pointed at
 * as its API base URL. There chat.postMessage is a reply (to the user whose DM channel it names; thread_ts, when
 * it is a probe message's ts, attributes it), chat.update replaces the text of the message it names, and a
 * native stream (chat.startStream, chat.appendStream, chat.stopStream) is one reply, recorded once when it is
 * stopped, with the concatenation of its texts (a chat.update of a stream still open records it with that text).
 * auth.test and every other method are answered ok. A call without a token is answered invalid_auth.
 *
 * A redelivery is what Slack sends when a webhook answer is late: the same body (same event_id, same event ts),
 * newly signed, with X-Slack-Retry-Num (1, 2, ...) and X-Slack-Retry-Reason: http_timeout.
 *
 * Users are numbered: u<N> is Slack user U<100000+N> with the DM channel D<100000+N>; the ledger auditor is
 * U999999 / D999999. Event ts and the ts of the bot's messages come from one counter: unique in the run.
 *
 * Concurrency: thread-safe. Senders post from their own virtual threads; the stand-in server answers on virtual
 * threads and records into the Recorder. A stream's state is guarded by its own monitor.
 */
final class SlackTarget implements ProbeTarget {

  private static final ObjectMapper JSON = new ObjectMapper();
  static final String TIMESTAMP_HEADER = "X-Slack-Request-Timestamp";
  static final String SIGNATURE_HEADER = "X-Slack-Signature";
  static final long AUDITOR = 999_999;
  static final String TEAM = "T0PROBE";

  /** One probe message as a Slack event: posted again, byte for byte, on a redelivery. */
  private record Event(String body, AtomicInteger deliveries) {}

  /** A native stream the bot opened: its text so far, and its reply once stopped (-1 until then). */
  private static final class Stream {
    final String inbox;
    final String inReplyTo;
    final StringBuilder text = new StringBuilder(); // guarded by this
    int index = -1; // guarded by this

    Stream(String inbox, String inReplyTo) {
      this.inbox = inbox;
      this.inReplyTo = inReplyTo;
    }
  }

  private final ProbeOptions options;
  private final byte[] secret;
  private final Recorder record;
  private final HttpClient http;
  private final HttpServer platform;
  private final long baseSeconds = System.currentTimeMillis() / 1000;
  private final AtomicLong nextTs = new AtomicLong(1);
  private final Map<String, Event> eventOf = new ConcurrentHashMap<>();
  /** The ts of each probe message, to its probe message id (thread_ts attributes a reply). */
  private final Map<String, String> messageIdOf = new ConcurrentHashMap<>();
  /** The ts of each bot message posted, to its reply's index in the Recorder. */
  private final Map<String, Integer> replyIndexOf = new ConcurrentHashMap<>();
  private final Map<String, Stream> streams = new ConcurrentHashMap<>();
  private final AtomicInteger streamsStopped = new AtomicInteger();

  SlackTarget(ProbeOptions o, Recorder record) {
    this.options = o;
    this.secret = o.webhookSecret.getBytes(StandardCharsets.UTF_8);
    this.record = record;
    if (secret.length == 0) {
      throw new IllegalArgumentException("--protocol slack needs --webhook-secret (the app's signing secret)");
    }
    this.http = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
        .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
    try {
      platform = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), o.platformPort), 1024);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot listen on --platform-port " + o.platformPort + ": " + e.getMessage());
    }
    platform.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    platform.createContext("/", this::webApi);
    platform.start();
    o.platformReady.accept(URI.create("http://127.0.0.1:" + platform.getAddress().getPort() + "/api"));
  }

  private static long number(String user) {
    if (user.equals(ProbeRun.LEDGER_USER)) return AUDITOR;
    if (user.startsWith("u")) return 100_000 + Long.parseLong(user.substring(1));
    throw new IllegalArgumentException("no Slack id for " + user);
  }

  /** The Slack user id of a probe user: u5 is U100005. */
  static String userId(String user) {
    return "U" + number(user);
  }

  /** The DM channel of a probe user: u5 is D100005. */
  static String dmChannel(String user) {
    return "D" + number(user);
  }

  /** The probe user of a DM channel (or of a user id, which chat.postMessage also takes); null if none. */
  static @Nullable String userOf(String channel) {
    if (channel.length() < 2 || (channel.charAt(0) != 'D' && channel.charAt(0) != 'U')) return null;
    long n;
    try {
      n = Long.parseLong(channel.substring(1));
    } catch (NumberFormatException e) {
      return null;
    }
    if (n == AUDITOR) return ProbeRun.LEDGER_USER;
    return n > 100_000 && n < AUDITOR ? "u" + (n - 100_000) : null;
  }

  /** A new Slack ts ("seconds.micros"), unique in the run. */
  private String newTs() {
    long n = nextTs.getAndIncrement();
    return (baseSeconds + n / 1_000_000) + "." + String.format(Locale.ROOT, "%06d", n % 1_000_000);
  }

  static String sign(byte[] secret, String timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return "v0=" + HexFormat.of().formatHex(mac.doFinal(("v0:" + timestamp + ":" + body)
          .getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no HmacSHA256", e);
    }
  }

  @Override
  public Recorder.Answer send(String user, String id, String text, String chat, int[] status) {
    if (!chat.isEmpty() || !(user.startsWith("u") || user.equals(ProbeRun.LEDGER_USER))) {
      status[0] = -1;
      return Recorder.Answer.REFUSED; // hostile sends are an API attack: on Slack identity is the platform's
    }
    Event event = eventOf.computeIfAbsent(user + "\n" + id, k -> {
      String ts = newTs();
      messageIdOf.put(ts, id);
      ObjectNode root = JSON.createObjectNode().put("token", "probe").put("type", "event_callback")
          .put("team_id", TEAM).put("api_app_id", "A0PROBE")
          .put("event_id", "Ev0PROBE" + ts.replace(".", "")).put("event_time", System.currentTimeMillis() / 1000);
      root.putObject("event").put("type", "message").put("channel", dmChannel(user)).put("user", userId(user))
          .put("text", text).put("ts", ts).put("event_ts", ts).put("channel_type", "im").put("team", TEAM);
      return new Event(root.toString(), new AtomicInteger());
    });
    int retry = event.deliveries().getAndIncrement();
    String timestamp = Long.toString(System.currentTimeMillis() / 1000);
    HttpRequest.Builder req = HttpRequest.newBuilder(options.target).timeout(Duration.ofSeconds(30))
        .header(TIMESTAMP_HEADER, timestamp).header(SIGNATURE_HEADER, sign(secret, timestamp, event.body()))
        .header("Content-Type", "application/json");
    if (retry > 0) req.header("X-Slack-Retry-Num", Integer.toString(retry)).header("X-Slack-Retry-Reason", "http_timeout");
    int s = ProbeTarget.exchange(http, req.POST(HttpRequest.BodyPublishers.ofString(event.body())).build());
    status[0] = s;
    return ProbeTarget.webhookAnswer(s);
  }

  /** The arguments of a Web API call: the query, then a JSON or form-encoded body. */
  private static ObjectNode arguments(HttpExchange ex, byte[] body) throws IOException {
    ObjectNode args = JSON.createObjectNode();
    form(args, ex.getRequestURI().getRawQuery());
    String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")).toLowerCase(Locale.ROOT);
    String text = new String(body, StandardCharsets.UTF_8).strip();
    if (type.contains("json") || (!type.contains("form") && text.startsWith("{"))) {
      if (!text.isEmpty()) {
        JsonNode n = JSON.readTree(text);
        if (!(n instanceof ObjectNode o)) throw new IOException("not a JSON object");
        args.setAll(o);
      }
    } else {
      form(args, text);
    }
    return args;
  }

  private static void form(ObjectNode into, @Nullable String raw) {
    if (raw == null || raw.isEmpty()) return;
    for (String part : raw.split("&", -1)) {
      if (part.isEmpty()) continue;
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      String v = eq < 0 ? "" : part.substring(eq + 1);
      into.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
  }

  private static String text(JsonNode args) {
    String t = args.path("markdown_text").asText("");
    return t.isEmpty() ? args.path("text").asText("") : t;
  }

  /** The stand-in Web API: {@code POST <base>/<method>}, e.g. {@code /api/chat.postMessage}. */
  private void webApi(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ProbeTarget.method(ex);
      byte[] body = ProbeTarget.body(ex);
      long now = System.nanoTime();
      ObjectNode args;
      try {
        args = arguments(ex, body);
      } catch (IOException e) {
        answer(ex, "{\"ok\":false,\"error\":\"invalid_json\"}");
        return;
      }
      String auth = String.valueOf(ex.getRequestHeaders().getFirst("Authorization"));
      boolean bearer = auth.regionMatches(true, 0, "Bearer ", 0, 7) && !auth.substring(7).isBlank();
      if (!bearer && args.path("token").asText("").isBlank()) {
        answer(ex, "{\"ok\":false,\"error\":\"invalid_auth\"}");
        return;
      }
      String channel = args.path("channel").asText("");
      ObjectNode ok = JSON.createObjectNode().put("ok", true);
      switch (method) {
        case "chat.postMessage" -> {
          String inbox = userOf(channel);
          if (inbox == null) {
            answer(ex, "{\"ok\":false,\"error\":\"channel_not_found\"}");
            return;
          }
          String ts = newTs();
          String t = text(args);
          int index = record.replied(new Recorder.Seen(inbox, t, "reply", inReplyTo(args), now));
          replyIndexOf.put(ts, index);
          ok.put("channel", dm(channel)).put("ts", ts).putObject("message").put("text", t).put("ts", ts);
          answer(ex, ok.toString());
        }
        case "chat.update" -> {
          String ts = args.path("ts").asText("");
          Integer index = replyIndexOf.get(ts);
          Stream stream = streams.get(ts);
          if (index == null && stream != null) { // a stream still open: this text is its final one
            synchronized (stream) {
              if (stream.index < 0) {
                stream.index = record.replied(new Recorder.Seen(stream.inbox, text(args), "reply",
                    stream.inReplyTo, now));
                replyIndexOf.put(ts, stream.index);
                answer(ex, ok.put("channel", channel).put("ts", ts).toString());
                return;
              }
              index = stream.index;
            }
          }
          if (index == null) {
            answer(ex, "{\"ok\":false,\"error\":\"message_not_found\"}");
            return;
          }
          record.edited(index, text(args));
          answer(ex, ok.put("channel", channel).put("ts", ts).put("text", text(args)).toString());
        }
        case "chat.startStream" -> {
          String inbox = userOf(channel);
          if (inbox == null) {
            answer(ex, "{\"ok\":false,\"error\":\"channel_not_found\"}");
            return;
          }
          String ts = newTs();
          Stream stream = new Stream(inbox, inReplyTo(args));
          stream.text.append(text(args));
          streams.put(ts, stream);
          answer(ex, ok.put("channel", dm(channel)).put("ts", ts).toString());
        }
        case "chat.appendStream", "chat.stopStream" -> {
          String ts = args.path("ts").asText("");
          Stream stream = streams.get(ts);
          if (stream == null) {
            answer(ex, "{\"ok\":false,\"error\":\"message_not_found\"}");
            return;
          }
          synchronized (stream) {
            if (stream.index >= 0) {
              answer(ex, "{\"ok\":false,\"error\":\"message_not_in_streaming_state\"}");
              return;
            }
            stream.text.append(text(args));
            if (method.equals("chat.stopStream")) {
              stream.index = record.replied(new Recorder.Seen(stream.inbox, stream.text.toString(), "reply",
                  stream.inReplyTo, now));
              replyIndexOf.put(ts, stream.index);
              streamsStopped.incrementAndGet();
            }
          }
          answer(ex, ok.put("channel", channel).put("ts", ts).toString());
        }
        case "auth.test" -> answer(ex, ok.put("url", "https://probe.slack.com/").put("team", "probe")
            .put("user", "probe-bot").put("team_id", TEAM).put("user_id", "U0PROBEBOT").put("bot_id", "B0PROBE")
            .toString());
        default -> answer(ex, ok.toString());
      }
    } catch (UncheckedIOException e) {
      // the bot went away mid-request
    }
  }

  /** A user id given as the channel of chat.postMessage is answered with that user's DM channel, as Slack does. */
  private static String dm(String channel) {
    return channel.startsWith("U") ? "D" + channel.substring(1) : channel;
  }

  /** The probe message a reply's thread_ts names, or "". */
  private String inReplyTo(JsonNode args) {
    String thread = args.path("thread_ts").asText("");
    return thread.isEmpty() ? "" : messageIdOf.getOrDefault(thread, "");
  }

  private static void answer(HttpExchange ex, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    ex.sendResponseHeaders(200, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  /** How many native streams were stopped (each one reply). */
  int streamsStopped() {
    return streamsStopped.get();
  }

  @Override
  public void read(String user, Recorder record, BooleanSupplier stop) {
    // Replies arrive at the stand-in Web API; nothing to poll.
  }

  @Override
  public String unauthorizedHint() {
    return "the webhook answered 401/403 to the probe's signed events: is --webhook-secret the Slack app's "
        + "signing secret?";
  }

  @Override
  public void close() {
    platform.stop(0);
    http.shutdownNow();
  }
}
