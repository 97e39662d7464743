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
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

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

  /** Sends replies with {@code chat.postMessage}, in the message's thread when it had one. */
  public static final class Sender implements OutboundDelivery.Sink {
    private final SlackConfig cfg;
    private final PlatformHttp http;

    public Sender(SlackConfig cfg, PlatformHttp http) {
      this.cfg = cfg;
      this.http = http;
    }

    @Override
    public SendOutcome send(Reply reply) {
      ObjectNode body = JsonFields.newObject();
      body.put("channel", reply.routing().getOrDefault("channel", reply.chat()));
      body.put("text", reply.text());
      String thread = reply.routing().get("thread_ts");
      if (thread != null) body.put("thread_ts", thread);
      return http.postJson(URI.create(cfg.apiBaseUrl() + "/chat.postMessage"), JsonFields.bytes(body),
          Optional.of(cfg.botToken()), res -> {
            try {
              JsonNode answer = BatonJson.MAPPER.readTree(res.body());
              if (answer != null && answer.path("ok").asBoolean(false)) return SendOutcome.DELIVERED;
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
