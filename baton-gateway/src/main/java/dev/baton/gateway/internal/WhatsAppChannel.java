package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.config.ChannelsConfig.WhatsAppConfig;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/*
 * Overview: WhatsApp Cloud API webhook. GET answers Meta's verify-token handshake (hub.mode=subscribe,
 * hub.verify_token, hub.challenge). POST is genuine when X-Hub-Signature-256 equals
 * "sha256=" + hex(HMAC-SHA256(app_secret, body)). One notification may carry several messages; each text
 * message is journaled and deduplicated by its wamid. Replies are sent with POST /{phone_number_id}/messages.
 */
public final class WhatsAppChannel {

  public static final String NAME = "whatsapp";

  private final WhatsAppConfig cfg;
  private final Ingress ingress;
  private final BodyLimits limits;

  public WhatsAppChannel(WhatsAppConfig cfg, Ingress ingress, BodyLimits limits) {
    this.cfg = cfg;
    this.ingress = ingress;
    this.limits = limits;
  }

  public void register(HttpRules rules) {
    rules.get("/webhooks/whatsapp", this::verifyHandshake).post("/webhooks/whatsapp", this::handle);
  }

  void verifyHandshake(ServerRequest req, ServerResponse res) {
    String mode = Http.query(req, "hub.mode").orElse("");
    String token = Http.query(req, "hub.verify_token").orElse("");
    String challenge = Http.query(req, "hub.challenge").orElse("");
    if (!mode.equals("subscribe") || !Signatures.equal(cfg.verifyToken(), token)) {
      throw HttpError.forbidden("verify token does not match");
    }
    if (challenge.isEmpty() || challenge.length() > 256) throw HttpError.badRequest("missing hub.challenge");
    res.status(200).header(HeaderNames.CONTENT_TYPE, "text/plain").send(challenge.getBytes(StandardCharsets.UTF_8));
  }

  void handle(ServerRequest req, ServerResponse res) {
    String sig = Http.header(req, "X-Hub-Signature-256").orElse("");
    byte[] body = limits.read(req);
    if (!sig.startsWith("sha256=") || !Signatures.hmacHexMatches(cfg.appSecret(), sig.substring(7), body)) {
      throw HttpError.unauthorized("bad signature");
    }
    for (InboundMessage m : parse(body)) ingress.submit(m);
    Http.json(res, 200, Json.newObject().put("ok", true));
  }

  /** The text messages of a notification (statuses and other kinds are skipped). */
  public static List<InboundMessage> parse(byte[] body) {
    ObjectNode root = Json.object(body);
    List<InboundMessage> out = new ArrayList<>();
    for (JsonNode entry : array(root, "entry")) {
      for (JsonNode change : array(entry, "changes")) {
        JsonNode value = change.get("value");
        if (value == null || !value.isObject()) continue;
        String phoneId = value.path("metadata").path("phone_number_id").asText("");
        for (JsonNode msg : array(value, "messages")) {
          if (!msg.isObject() || !"text".equals(msg.path("type").asText())) continue;
          String id = Json.nonBlank(msg, "id");
          String from = Json.nonBlank(msg, "from");
          String text = Json.text(Json.object(msg, "text"), "body");
          Instant sentAt = Instant.ofEpochSecond(parseSeconds(Json.optText(msg, "timestamp").orElse("0")));
          out.add(new InboundMessage(NAME, id, from, "", OrderKey.none(), text, sentAt,
              Map.of("phone_number_id", phoneId, "to", from)));
        }
      }
    }
    return out;
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

  /** Sends text replies with the Cloud API. */
  public static final class Sender implements OutboundDelivery.Sink {
    private final WhatsAppConfig cfg;
    private final PlatformHttp http;

    public Sender(WhatsAppConfig cfg, PlatformHttp http) {
      this.cfg = cfg;
      this.http = http;
    }

    @Override
    public Outcome send(Reply reply) {
      String phoneId = reply.routing().getOrDefault("phone_number_id", "");
      if (phoneId.isEmpty()) return new Outcome.Failed("whatsapp: no phone_number_id");
      ObjectNode body = Json.newObject().put("messaging_product", "whatsapp")
          .put("recipient_type", "individual").put("to", reply.routing().getOrDefault("to", reply.chat()))
          .put("type", "text");
      body.putObject("text").put("body", reply.text());
      return http.postJson(URI.create(cfg.apiBaseUrl() + "/" + phoneId + "/messages"), Json.bytes(body),
          Optional.of(cfg.accessToken()), r -> Outcome.DELIVERED);
    }
  }

}
