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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/*
 * Overview: the probe as Telegram. It posts each message as a Bot API Update to the bot's webhook (--target,
 * with the X-Telegram-Bot-Api-Secret-Token header), and runs a stand-in Bot API on --platform-port that the bot
 * is pointed at as its API base URL: every sendMessage there is a reply (to the user whose private chat it
 * names; a text over 4096 characters is refused 400 "Bad Request: message is too long", as Telegram does), an
 * editMessageText replaces the text of the message it edits, sendMessageDraft and anything else is answered ok
 * and ignored. A redelivery is the same Update (same update_id) posted again.
 *
 * Users are numbered: u<N> is Telegram user and private chat 100000+N; the ledger auditor is 999999.
 *
 * Concurrency: thread-safe. Senders post from their own virtual threads; the stand-in server answers on virtual
 * threads and records into the Recorder.
 */
final class TelegramTarget implements ProbeTarget {

  private static final ObjectMapper JSON = new ObjectMapper();
  static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";
  static final long AUDITOR = 999_999;
  /** The Bot API's longest sendMessage text: 4096 characters (UTF-16 code units) after entity parsing. */
  static final int MAX_TEXT = 4096;

  private final ProbeOptions options;
  private final String secret;
  private final Recorder record;
  private final HttpClient http;
  private final HttpServer platform;
  private final java.util.concurrent.ExecutorService platformThreads;
  private final AtomicLong nextUpdate = new AtomicLong(1);
  private final Map<String, Long> updateOf = new ConcurrentHashMap<>();
  private final Map<Long, String> messageIdOf = new ConcurrentHashMap<>();
  private final AtomicLong nextBotMessage = new AtomicLong(1_000_000);
  private final Map<Long, Integer> replyIndexOf = new ConcurrentHashMap<>();

  TelegramTarget(ProbeOptions o, Recorder record) {
    this.options = o;
    this.secret = o.webhookSecret;
    this.record = record;
    if (secret.isEmpty()) throw new IllegalArgumentException("--protocol telegram needs --webhook-secret");
    try {
      platform = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), o.platformPort), 1024);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot listen on --platform-port " + o.platformPort + " ("
          + e.getMessage() + "): is another program using it? Choose a free port with --platform-port");
    }
    // Nothing else exists yet if the port is taken; from here on a failure closes what was made.
    platformThreads = Executors.newVirtualThreadPerTaskExecutor();
    HttpClient client = null;
    try {
      client = HttpClient.newBuilder().executor(Executors.newVirtualThreadPerTaskExecutor())
          .connectTimeout(Duration.ofSeconds(5)).version(HttpClient.Version.HTTP_1_1).build();
      platform.setExecutor(platformThreads);
      platform.createContext("/", this::botApi);
      platform.start();
      o.platformReady.accept(URI.create("http://127.0.0.1:" + platform.getAddress().getPort()));
    } catch (RuntimeException | Error e) {
      try {
        platform.stop(0);
      } catch (RuntimeException ignored) {
        // not started: nothing to stop
      }
      platformThreads.shutdownNow();
      if (client != null) client.shutdownNow();
      throw e;
    }
    this.http = client;
  }

  static long telegramId(String user) {
    if (user.equals(ProbeRun.LEDGER_USER)) return AUDITOR;
    if (user.startsWith("u")) return 100_000 + Long.parseLong(user.substring(1));
    throw new IllegalArgumentException("no Telegram id for " + user);
  }

  static String userOf(long chat) {
    return chat == AUDITOR ? ProbeRun.LEDGER_USER : "u" + (chat - 100_000);
  }

  @Override
  public Recorder.Answer send(String user, String id, String text, String chat, int[] status) {
    if (!chat.isEmpty() || !(user.startsWith("u") || user.equals(ProbeRun.LEDGER_USER))) {
      status[0] = -1;
      return Recorder.Answer.REFUSED; // hostile sends are an API attack: on Telegram identity is the platform's
    }
    long updateId = updateOf.computeIfAbsent(user + "\n" + id, k -> nextUpdate.getAndIncrement());
    messageIdOf.put(updateId, id);
    long from = telegramId(user);
    ObjectNode update = JSON.createObjectNode().put("update_id", updateId);
    ObjectNode message = update.putObject("message").put("message_id", updateId)
        .put("date", System.currentTimeMillis() / 1000).put("text", text);
    message.putObject("from").put("id", from).put("is_bot", false).put("first_name", user);
    message.putObject("chat").put("id", from).put("type", "private");
    HttpRequest req = HttpRequest.newBuilder(options.target).timeout(Duration.ofSeconds(30))
        .header(SECRET_HEADER, secret).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(update.toString())).build();
    int s = ProbeTarget.exchange(http, req);
    status[0] = s;
    return ProbeTarget.webhookAnswer(s);
  }

  /** The stand-in Bot API: {@code POST /bot<token>/<method>}. */
  private void botApi(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ProbeTarget.method(ex);
      byte[] body = ProbeTarget.body(ex);
      long now = System.nanoTime();
      JsonNode req;
      try {
        req = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
      } catch (IOException e) {
        answer(ex, 400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: can't parse JSON\"}");
        return;
      }
      switch (method) {
        case "sendMessage" -> {
          int length = req.path("text").asText("").length();
          if (length > MAX_TEXT) { // as the real Bot API: the user sees nothing
            record.replyRefused(new Recorder.Refused(userOf(req.path("chat_id").asLong(0)),
                messageIdOf.getOrDefault(req.path("reply_to_message_id").asLong(-1), ""), "the Bot API refused its "
                    + "sendMessage of " + length + " characters (at most " + MAX_TEXT + "): message is too long", now));
            answer(ex, 400, "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message is too long\"}");
            return;
          }
          long chat = req.path("chat_id").asLong(0);
          long messageId = nextBotMessage.getAndIncrement();
          String inReplyTo = messageIdOf.getOrDefault(req.path("reply_to_message_id").asLong(-1), "");
          int index = record.replied(new Recorder.Seen(userOf(chat), req.path("text").asText(""), "",
              inReplyTo, now));
          replyIndexOf.put(messageId, index);
          answer(ex, 200, "{\"ok\":true,\"result\":{\"message_id\":" + messageId + ",\"chat\":{\"id\":" + chat
              + "},\"date\":" + System.currentTimeMillis() / 1000 + "}}");
        }
        case "editMessageText" -> {
          Integer index = replyIndexOf.get(req.path("message_id").asLong(-1));
          if (index != null) record.edited(index, req.path("text").asText(""));
          answer(ex, 200, "{\"ok\":true,\"result\":true}");
        }
        default -> answer(ex, 200, "{\"ok\":true,\"result\":true}");
      }
    } catch (UncheckedIOException e) {
      // the bot went away mid-request
    }
  }

  private static void answer(HttpExchange ex, int status, String json) throws IOException {
    byte[] b = json.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void read(String user, Recorder record, BooleanSupplier stop) {
    // Replies arrive at the stand-in Bot API; nothing to poll.
  }

  @Override
  public String unauthorizedHint() {
    return "the webhook answered 401/403 to the probe's updates: is --webhook-secret the bot's secret token?";
  }

  @Override
  public void close() {
    platform.stop(0);
    platformThreads.shutdownNow();
    http.shutdownNow();
  }
}
