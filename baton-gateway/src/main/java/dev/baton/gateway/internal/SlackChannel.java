package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.config.ChannelsConfig.SlackConfig;
import dev.baton.spi.BatonJson;
import dev.baton.spi.Scheduler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/*
 * Overview: Slack Events API. A request is genuine when X-Slack-Signature equals
 * "v0=" + hex(HMAC-SHA256(signing_secret, "v0:" + X-Slack-Request-Timestamp + ":" + body)) and the timestamp
 * is within 5 minutes of the Scheduler's clock (so a captured request cannot be replayed later).
 * url_verification is answered with its challenge. Messages are deduplicated by channel + ts (the
 * message's own id in Slack): one user message that mentions the bot arrives twice, as `message` and as
 * `app_mention`, with two different event_ids, and must run one turn. Only an event without ts falls back to
 * its event_id (event ids hold no ':', so the two forms never meet). A retry (X-Slack-Retry-Num) is
 * acknowledged and meets the journal's dedup record, so it never starts a second turn. The answer only waits for the journal insert, never for the agent (Slack wants it within 3 s).
 * Messages from bots and edits (bot_id, subtype) are ignored so Baton never answers itself.
 */
final class SlackChannel {

  public static final String NAME = "slack";
  static final long WINDOW_SECONDS = 300;

  private final SlackConfig cfg;
  private final Ingress ingress;
  private final Scheduler scheduler;
  private final MeterRegistry meters;
  private final BodyLimits limits;

  public SlackChannel(SlackConfig cfg, Ingress ingress, Scheduler scheduler, MeterRegistry meters, BodyLimits limits) {
    this.cfg = cfg;
    this.ingress = ingress;
    this.scheduler = scheduler;
    this.meters = meters;
    this.limits = limits;
  }

  public void register(HttpRules rules) {
    rules.post("/webhooks/slack", this::handle);
  }

  void handle(ServerRequest req, ServerResponse res) {
    String ts = HelidonIo.header(req, "X-Slack-Request-Timestamp").orElse("");
    String sig = HelidonIo.header(req, "X-Slack-Signature").orElse("");
    byte[] body = limits.read(req);
    verify(ts, sig, body);
    if (HelidonIo.header(req, "X-Slack-Retry-Num").isPresent()) {
      meters.counter("baton.gateway.slack.retries").increment();
    }
    ObjectNode root = JsonFields.object(body);
    String type = JsonFields.text(root, "type");
    if (type.equals("url_verification")) {
      HelidonIo.json(res, 200, JsonFields.newObject().put("challenge", JsonFields.text(root, "challenge")));
      return;
    }
    if (type.equals("event_callback")) parseEvent(root).ifPresent(ingress::submitPlatform);
    HelidonIo.json(res, 200, JsonFields.newObject().put("ok", true));
  }

  void verify(String ts, String sig, byte[] body) {
    long seconds;
    try {
      seconds = Long.parseLong(ts);
    } catch (NumberFormatException e) {
      throw HttpError.unauthorized("missing or bad request timestamp");
    }
    if (Math.abs(scheduler.now().getEpochSecond() - seconds) > WINDOW_SECONDS) {
      throw HttpError.unauthorized("request timestamp is outside the 5 minute window");
    }
    if (!sig.startsWith("v0=") || !Signatures.hmacHexMatches(cfg.signingSecret(), sig.substring(3),
        ("v0:" + ts + ":").getBytes(StandardCharsets.UTF_8), body)) {
      throw HttpError.unauthorized("bad signature");
    }
  }

  /** The message of an event_callback, or empty for events Baton does not handle. */
  public static Optional<InboundMessage> parseEvent(ObjectNode root) {
    String eventId = JsonFields.nonBlank(root, "event_id");
    JsonNode event = JsonFields.object(root, "event");
    String type = JsonFields.text(event, "type");
    if (!type.equals("message") && !type.equals("app_mention")) return Optional.empty();
    if (event.hasNonNull("bot_id") || event.hasNonNull("subtype")) return Optional.empty();
    String user = JsonFields.nonBlank(event, "user");
    String channel = JsonFields.text(event, "channel");
    String text = JsonFields.text(event, "text");
    String ts = JsonFields.optText(event, "ts").orElse("");
    Instant sentAt = root.hasNonNull("event_time")
        ? Instant.ofEpochSecond(Math.max(0, Math.min(JsonFields.integer(root, "event_time"), 1L << 40)))
        : Instant.EPOCH;
    Map<String, String> routing = new HashMap<>();
    routing.put("channel", channel);
    JsonFields.optText(event, "thread_ts").ifPresent(t -> routing.put("thread_ts", t));
    routing.put("ts", ts);
    // chat.startStream outside a DM needs the recipient's user and team (P10, streaming: native)
    routing.put("user", user);
    JsonFields.optText(root, "team_id").or(() -> JsonFields.optText(event, "team"))
        .ifPresent(t -> routing.put("team", t));
    return Optional.of(new InboundMessage(NAME, messageId(channel, ts, eventId), user, channel, OrderKey.none(),
        text, sentAt, routing));
  }

  /**
   * The platform id of a message: {@code <channel>:<ts>}, which a `message` event and the `app_mention` of
   * the same user message share; the event_id only when ts is absent.
   */
  static String messageId(String channel, String ts, String eventId) {
    return ts.isBlank() || channel.isBlank() ? eventId : channel + ":" + ts;
  }

  public static Optional<InboundMessage> parse(byte[] body) {
    ObjectNode root = JsonFields.object(body);
    return JsonFields.text(root, "type").equals("event_callback") ? parseEvent(root) : Optional.empty();
  }

  /**
   * Sends replies with {@code chat.postMessage}, in the message's thread when it had one, and streams them (P10)
   * as {@code channels.slack.streaming} says: {@code edit} posts the first preview and {@code chat.update}s it
   * (the final text too); {@code native} opens {@code chat.startStream} in the thread of the user's message,
   * {@code chat.appendStream}s the new text and {@code chat.stopStream}s with the rest of the final text;
   * {@code off} shows nothing before the final text. The anchor is {@code slack:<channel>:<ts>}.
   */
  public static final class Sender implements OutboundDelivery.StreamSink {
    /** The longest markdown_text Slack takes in one call; previews stop growing there. */
    static final int MAX_TEXT = 12_000;

    private final SlackConfig cfg;
    private final PlatformHttp http;

    public Sender(SlackConfig cfg, PlatformHttp http) {
      this.cfg = cfg;
      this.http = http;
    }

    @Override
    public SendOutcome send(Reply reply) {
      return post(reply.routing(), reply.chat(), reply.text(), null);
    }

    @Override
    public boolean streaming() {
      return cfg.streaming() != SlackConfig.SlackStreaming.OFF;
    }

    @Override
    public int previewLimit() {
      return MAX_TEXT;
    }

    @Override
    public Duration editInterval() {
      return Duration.ofMillis(cfg.streamEditIntervalMs());
    }

    @Override
    public SendOutcome preview(StreamView view, String text) {
      String channel = view.routing.getOrDefault("channel", view.chat);
      boolean nativeMode = cfg.streaming() == SlackConfig.SlackStreaming.NATIVE;
      String ts = anchoredTs(view, channel);
      SendOutcome out;
      if (nativeMode && ts == null) {
        ObjectNode body = JsonFields.newObject().put("channel", channel).put("markdown_text", text);
        body.put("thread_ts", view.routing.getOrDefault("thread_ts", view.routing.getOrDefault("ts", "")));
        String user = view.routing.get("user");
        String team = view.routing.get("team");
        if (user != null) body.put("recipient_user_id", user);
        if (team != null) body.put("recipient_team_id", team);
        out = call("chat.startStream", body, answer -> {
          String t = answer.path("ts").asText("");
          if (!t.isEmpty()) {
            view.anchor = "slack:" + channel + ":" + t;
            view.open = true;
          }
        });
      } else if (nativeMode && view.open) {
        if (!text.startsWith(view.shown) || text.length() == view.shown.length()) return SendOutcome.DELIVERED;
        out = call("chat.appendStream", JsonFields.newObject().put("channel", channel).put("ts", ts)
            .put("markdown_text", text.substring(view.shown.length())), a -> {});
      } else if (ts == null) {
        out = post(view.routing, view.chat, text, t -> view.anchor = "slack:" + channel + ":" + t);
      } else {
        if (nativeMode) stopRecovered(view, channel, ts);
        out = update(channel, ts, text);
      }
      if (out instanceof SendOutcome.Delivered) view.shown = text;
      return out;
    }

    @Override
    public SendOutcome sendFinal(Reply reply, StreamView view) {
      String channel = reply.routing().getOrDefault("channel", reply.chat());
      String ts = anchoredTs(view, channel);
      if (ts == null || view.editRefused) return send(reply);
      if (view.open && !view.stopped) { // a stream this process opened: stop it with the rest of the text
        boolean extendsShown = reply.text().startsWith(view.shown);
        ObjectNode body = JsonFields.newObject().put("channel", channel).put("ts", ts);
        String rest = extendsShown ? reply.text().substring(view.shown.length()) : "";
        if (!rest.isEmpty()) body.put("markdown_text", rest);
        SendOutcome out = call("chat.stopStream", body, a -> {});
        if (out instanceof SendOutcome.Retry) return out;
        view.stopped = true;
        if (out instanceof SendOutcome.Delivered && extendsShown) return out;
      } else if (cfg.streaming() == SlackConfig.SlackStreaming.NATIVE) {
        stopRecovered(view, channel, ts);
      }
      SendOutcome out = update(channel, ts, reply.text());
      if (!(out instanceof SendOutcome.Failed)) return out;
      view.editRefused = true; // the message is gone: the final text goes out as a new one
      return send(reply);
    }

    /** A stream a run before a restart opened: stop it (once, whatever Slack answers) before editing it. */
    private void stopRecovered(StreamView view, String channel, String ts) {
      if (!view.recovered || view.stopped) return;
      view.stopped = true;
      call("chat.stopStream", JsonFields.newObject().put("channel", channel).put("ts", ts), a -> {});
    }

    /** The ts of the view's anchor if it is a message of this channel. */
    static @Nullable String anchoredTs(StreamView view, String channel) {
      String a = view.anchor;
      String prefix = "slack:" + channel + ":";
      return a != null && a.startsWith(prefix) && a.length() > prefix.length() ? a.substring(prefix.length()) : null;
    }

    private SendOutcome post(Map<String, String> routing, String chat, String text, @Nullable Consumer<String> ts) {
      ObjectNode body = JsonFields.newObject();
      body.put("channel", routing.getOrDefault("channel", chat));
      body.put("text", text);
      String thread = routing.get("thread_ts");
      if (thread != null) body.put("thread_ts", thread);
      return call("chat.postMessage", body, answer -> {
        String t = answer.path("ts").asText("");
        if (ts != null && !t.isEmpty()) ts.accept(t);
      });
    }

    private SendOutcome update(String channel, String ts, String text) {
      return call("chat.update", JsonFields.newObject().put("channel", channel).put("ts", ts).put("text", text),
          a -> {});
    }

    /** One Web API call; {@code onOk} reads an {@code "ok":true} answer. */
    private SendOutcome call(String method, ObjectNode body, Consumer<JsonNode> onOk) {
      return http.postJson(URI.create(cfg.apiBaseUrl() + "/" + method), JsonFields.bytes(body),
          Optional.of(cfg.botToken()), res -> {
            try {
              JsonNode answer = BatonJson.MAPPER.readTree(res.body());
              if (answer != null && answer.path("ok").asBoolean(false)) {
                onOk.accept(answer);
                return SendOutcome.DELIVERED;
              }
              String error = answer == null ? "no body" : answer.path("error").asText("unknown");
              return error.equals("ratelimited") ? new SendOutcome.Retry("slack: ratelimited", Optional.empty())
                  : new SendOutcome.Failed("slack: " + error.replaceAll("[^a-z_]", ""));
            } catch (IOException e) {
              return new SendOutcome.Failed("slack: answer is not JSON");
            }
          });
    }
  }
}
