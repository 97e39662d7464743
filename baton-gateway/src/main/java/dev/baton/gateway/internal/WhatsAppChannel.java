package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.config.ChannelsConfig.WhatsAppConfig;
import dev.baton.spi.Scheduler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview: WhatsApp Cloud API webhook. GET answers Meta's verify-token handshake (hub.mode=subscribe,
 * hub.verify_token, hub.challenge). POST is genuine when X-Hub-Signature-256 equals
 * "sha256=" + hex(HMAC-SHA256(app_secret, body)). One notification may carry several messages; each text
 * message is journaled and deduplicated by its wamid. Replies are sent with POST /{phone_number_id}/messages.
 *
 * Freshness: the signature has no time in it, so a captured body would run again once its dedup record is
 * gone. A message is therefore run only while its `timestamp` is fresh by the Scheduler's clock: not older
 * than max_message_age_ms (and never older than the dedup window minus the allowed skew, so a replay can
 * never outlive its dedup record) and not more than 5 minutes ahead (clock skew; a body stamped further
 * ahead would stay fresh past its dedup record). A stale message is answered 200 like the rest (Meta wants
 * 200, and a retry would be as stale), not run, counted in baton.gateway.stale_messages{channel,reason} and
 * logged without its text or ids.
 *
 * Path segments: phone_number_id becomes a segment of the outbound URL, so it must be 1-32 digits; a signed
 * notification with any other value is refused whole with 400 before any of its messages is journaled (it
 * is not a notification Meta would send; 400 is what every malformed notification gets).
 */
final class WhatsAppChannel {

  public static final String NAME = "whatsapp";

  /** A phone number id as it may stand in an outbound URL path. */
  static final Pattern PHONE_NUMBER_ID = Pattern.compile("[0-9]{1,32}");
  /** How far ahead of Baton's clock a message's timestamp may be (clock skew). */
  static final Duration MAX_SKEW = Duration.ofMinutes(5);

  private static final Logger log = LoggerFactory.getLogger(WhatsAppChannel.class);

  private final WhatsAppConfig cfg;
  private final Ingress ingress;
  private final BodyLimits limits;
  private final Scheduler scheduler;
  private final MeterRegistry meters;
  private final Duration maxAge;
  private final Duration maxSkew;

  /** {@code dedupWindow} is {@code dedup.window_ms}: no message older than its dedup record's life is run. */
  public WhatsAppChannel(WhatsAppConfig cfg, Ingress ingress, BodyLimits limits, Scheduler scheduler,
      MeterRegistry meters, Duration dedupWindow) {
    this.cfg = cfg;
    this.ingress = ingress;
    this.limits = limits;
    this.scheduler = scheduler;
    this.meters = meters;
    this.maxSkew = MAX_SKEW.compareTo(dedupWindow.dividedBy(2)) < 0 ? MAX_SKEW : dedupWindow.dividedBy(2);
    Duration configured = Duration.ofMillis(cfg.maxMessageAgeMs());
    Duration byDedup = dedupWindow.minus(maxSkew);
    this.maxAge = configured.compareTo(byDedup) < 0 ? configured : byDedup;
  }

  public void register(HttpRules rules) {
    rules.get("/webhooks/whatsapp", this::verifyHandshake).post("/webhooks/whatsapp", this::handle);
  }

  void verifyHandshake(ServerRequest req, ServerResponse res) {
    String mode = HelidonIo.query(req, "hub.mode").orElse("");
    String token = HelidonIo.query(req, "hub.verify_token").orElse("");
    String challenge = HelidonIo.query(req, "hub.challenge").orElse("");
    if (!mode.equals("subscribe") || !Signatures.equal(cfg.verifyToken(), token)) {
      throw HttpError.forbidden("verify token does not match");
    }
    if (challenge.isEmpty() || challenge.length() > 256) throw HttpError.badRequest("missing hub.challenge");
    res.status(200).header(HeaderNames.CONTENT_TYPE, "text/plain").send(challenge.getBytes(StandardCharsets.UTF_8));
  }

  void handle(ServerRequest req, ServerResponse res) {
    String sig = HelidonIo.header(req, "X-Hub-Signature-256").orElse("");
    byte[] body = limits.read(req);
    if (!sig.startsWith("sha256=") || !Signatures.hmacHexMatches(cfg.appSecret(), sig.substring(7), body)) {
      throw HttpError.unauthorized("bad signature");
    }
    Instant now = scheduler.now();
    for (InboundMessage m : parse(body)) {
      String stale = staleness(m.sentAt(), now);
      if (stale.isEmpty()) {
        ingress.submitPlatform(m);
      } else {
        meters.counter("baton.gateway.stale_messages", "channel", NAME, "reason", stale).increment();
        // info, not warn: a replayed capture may come in floods, and the metric is what alerts
        log.info("whatsapp: a message was not run, its timestamp is {} (sent_at={}, now={}, max_age_ms={},"
            + " max_skew_ms={})", stale.replace('_', ' '), m.sentAt(), now, maxAge.toMillis(), maxSkew.toMillis());
      }
    }
    HelidonIo.json(res, 200, JsonFields.newObject().put("ok", true));
  }

  /** Empty when {@code sentAt} is fresh at {@code now}, else why not ({@code too_old}, {@code in_future}). */
  String staleness(Instant sentAt, Instant now) {
    if (sentAt.isBefore(now.minus(maxAge))) return "too_old";
    if (sentAt.isAfter(now.plus(maxSkew))) return "in_future";
    return "";
  }

  /** The text messages of a notification (statuses and other kinds are skipped). */
  public static List<InboundMessage> parse(byte[] body) {
    ObjectNode root = JsonFields.object(body);
    List<InboundMessage> out = new ArrayList<>();
    for (JsonNode entry : array(root, "entry")) {
      for (JsonNode change : array(entry, "changes")) {
        JsonNode value = change.get("value");
        if (value == null || !value.isObject()) continue;
        for (JsonNode msg : array(value, "messages")) {
          if (!msg.isObject() || !"text".equals(msg.path("type").asText())) continue;
          String phoneId = phoneNumberId(value);
          String id = JsonFields.nonBlank(msg, "id");
          String from = JsonFields.nonBlank(msg, "from");
          String text = JsonFields.text(JsonFields.object(msg, "text"), "body");
          Instant sentAt = Instant.ofEpochSecond(parseSeconds(JsonFields.optText(msg, "timestamp").orElse("0")));
          out.add(new InboundMessage(NAME, id, from, "", OrderKey.none(), text, sentAt,
              Map.of("phone_number_id", phoneId, "to", from)));
        }
      }
    }
    return out;
  }

  /** The business number a message was sent to: 1-32 digits, as it becomes an outbound URL segment. */
  private static String phoneNumberId(JsonNode value) {
    JsonNode v = value.path("metadata").path("phone_number_id");
    if (!v.isTextual() || !PHONE_NUMBER_ID.matcher(v.textValue()).matches()) {
      throw HttpError.badRequest("field 'metadata.phone_number_id' must be 1-32 digits");
    }
    return v.textValue();
  }

  private static Iterable<JsonNode> array(JsonNode obj, String field) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) return List.of();
    if (!v.isArray()) throw HttpError.badRequest("field '" + field + "' must be an array");
    return v;
  }

  private static long parseSeconds(String s) {
    try {
      return Math.max(0, Math.min(Long.parseLong(s), 1L << 40));
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("field 'timestamp' must be unix seconds");
    }
  }

  /**
   * Sends text replies with the Cloud API. Not a {@link OutboundDelivery.StreamSink}: WhatsApp cannot edit a sent
   * message, so a streamed reply shows only its final text (its deltas are ignored, P10).
   */
  public static final class Sender implements OutboundDelivery.Sink {
    private final WhatsAppConfig cfg;
    private final PlatformHttp http;

    public Sender(WhatsAppConfig cfg, PlatformHttp http) {
      this.cfg = cfg;
      this.http = http;
    }

    @Override
    public SendOutcome send(Reply reply) {
      String phoneId = reply.routing().getOrDefault("phone_number_id", "");
      if (!PHONE_NUMBER_ID.matcher(phoneId).matches()) {
        return new SendOutcome.Failed("whatsapp: phone_number_id is not 1-32 digits");
      }
      ObjectNode body = JsonFields.newObject().put("messaging_product", "whatsapp")
          .put("recipient_type", "individual").put("to", reply.routing().getOrDefault("to", reply.chat()))
          .put("type", "text");
      body.putObject("text").put("body", reply.text());
      return http.postJson(URI.create(cfg.apiBaseUrl() + "/" + phoneId + "/messages"), JsonFields.bytes(body),
          Optional.of(cfg.accessToken()), r -> SendOutcome.DELIVERED);
    }
  }

}
