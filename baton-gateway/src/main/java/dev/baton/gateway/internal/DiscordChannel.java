package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.InboundMessage;
import dev.baton.OrderKey;
import dev.baton.Reply;
import dev.baton.config.ChannelsConfig.DiscordConfig;
import dev.baton.spi.Scheduler;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/*
 * Overview: Discord interactions endpoint. A request is genuine when X-Signature-Ed25519 is an Ed25519
 * signature, by channels.discord.public_key, of X-Signature-Timestamp + body (checked with the JDK's own
 * Ed25519); a timestamp more than 5 minutes from the Scheduler's clock is refused so a captured request
 * cannot be replayed later. PING (type 1) is answered with PONG; an application command (type 2) is
 * journaled, deduplicated by the interaction id, and answered at once with a deferred response (type 5);
 * the agent's reply follows as a follow-up message on the interaction's webhook; a streamed reply (P10) edits
 * the deferred response itself (@original) as it grows and into its final text.
 * Path segments: the follow-up URL is /webhooks/{application_id}/{token}. The application id comes from
 * channels.discord.application_id only (the payload's is ignored); the interaction token must match
 * TOKEN (letters, digits, '_', '.', '-', at most 500) or the interaction is a 400 with nothing stored, and the
 * sender checks both again before building the URL.
 */
final class DiscordChannel {

  public static final String NAME = "discord";
  /** A plain token segment: never "." or ".." alone, which a URL resolver would treat as a path step. */
  static final Pattern TOKEN = Pattern.compile("(?!\\.{1,2}$)[A-Za-z0-9_.-]{1,500}");
  /** An application id (a snowflake) as it may stand in a URL path segment. */
  static final Pattern APPLICATION_ID = Pattern.compile("[0-9]{1,20}");
  static final long WINDOW_SECONDS = 300;

  private final PublicKey key;
  private final Ingress ingress;
  private final Scheduler scheduler;
  private final BodyLimits limits;

  public DiscordChannel(DiscordConfig cfg, Ingress ingress, Scheduler scheduler, BodyLimits limits) {
    this.key = Signatures.ed25519PublicKey(cfg.publicKey());
    this.ingress = ingress;
    this.scheduler = scheduler;
    this.limits = limits;
  }

  public void register(HttpRules rules) {
    rules.post("/webhooks/discord", this::handle);
  }

  void handle(ServerRequest req, ServerResponse res) {
    String sig = HelidonIo.header(req, "X-Signature-Ed25519").orElse("");
    String ts = HelidonIo.header(req, "X-Signature-Timestamp").orElse("");
    byte[] body = limits.read(req);
    long seconds;
    try {
      seconds = Long.parseLong(ts);
    } catch (NumberFormatException e) {
      throw HttpError.unauthorized("missing or bad signature timestamp");
    }
    if (!Signatures.ed25519Verifies(key, sig, ts.getBytes(StandardCharsets.UTF_8), body)) {
      throw HttpError.unauthorized("bad signature");
    }
    if (Math.abs(scheduler.now().getEpochSecond() - seconds) > WINDOW_SECONDS) {
      throw HttpError.unauthorized("signature timestamp is outside the 5 minute window");
    }
    ObjectNode root = JsonFields.object(body);
    long type = JsonFields.integer(root, "type");
    if (type == 1) {
      HelidonIo.json(res, 200, JsonFields.newObject().put("type", 1));
      return;
    }
    if (type != 2) throw HttpError.badRequest("unsupported interaction type");
    ingress.submitPlatform(parseCommand(root, scheduler.now()));
    HelidonIo.json(res, 200, JsonFields.newObject().put("type", 5));
  }

  /** An application command: the text is its first string option, else the command's name. */
  public static InboundMessage parseCommand(ObjectNode root, Instant now) {
    String id = JsonFields.id(root, "id");
    String token = JsonFields.text(root, "token");
    if (!TOKEN.matcher(token).matches()) {
      throw HttpError.badRequest("field 'token' must be 1-500 letters, digits, '_', '.' or '-'");
    }
    JsonNode userHolder = root.hasNonNull("member") ? JsonFields.object(root, "member") : root;
    String user = JsonFields.id(JsonFields.object(userHolder, "user"), "id");
    String channel = root.hasNonNull("channel_id") ? JsonFields.id(root, "channel_id") : "";
    JsonNode data = JsonFields.object(root, "data");
    String text = JsonFields.text(data, "name");
    JsonNode options = data.get("options");
    if (options != null && options.isArray()) {
      for (JsonNode o : options) {
        if (o.isObject() && o.path("value").isTextual()) {
          text = o.get("value").textValue();
          break;
        }
      }
    }
    return new InboundMessage(NAME, id, user, channel, OrderKey.none(), text, now,
        Map.of("token", token));
  }

  public static Optional<InboundMessage> parse(byte[] body) {
    ObjectNode root = JsonFields.object(body);
    return JsonFields.integer(root, "type") == 2 ? Optional.of(parseCommand(root, Instant.EPOCH)) : Optional.empty();
  }

  /**
   * Sends replies as follow-up messages of the interaction; a streamed reply (P10) edits the deferred response
   * instead ({@code PATCH /webhooks/{application_id}/{token}/messages/@original}): each preview, throttled, and
   * then the final text (a follow-up only if that edit is refused). The anchor is {@code discord:@original}. Only
   * the turn's first stream ({@code #1}) does so: a later stream would overwrite the first reply in the one
   * response message, so it shows no preview and its final text goes out as a follow-up.
   */
  public static final class Sender implements OutboundDelivery.StreamSink {
    /** Discord's longest message content. */
    static final int MAX_TEXT = 2000;
    static final String ANCHOR = "discord:@original";

    private final DiscordConfig cfg;
    private final PlatformHttp http;

    public Sender(DiscordConfig cfg, PlatformHttp http) {
      this.cfg = cfg;
      this.http = http;
    }

    @Override
    public SendOutcome send(Reply reply) {
      URI base = webhook(reply.routing());
      if (base == null) return invalid(reply.routing());
      return http.postJson(base, content(reply.text()), Optional.empty(), r -> SendOutcome.DELIVERED);
    }

    @Override
    public boolean streaming() {
      return true;
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
      if (!firstOfInteraction(view.streamId)) return LATER_STREAM; // @original holds the first stream's reply
      URI base = webhook(view.routing);
      if (base == null) return invalid(view.routing);
      SendOutcome out = editOriginal(base, text);
      if (out instanceof SendOutcome.Delivered) {
        view.anchor = ANCHOR;
        view.shown = text;
      }
      return out;
    }

    @Override
    public SendOutcome sendFinal(Reply reply, StreamView view) {
      URI base = webhook(reply.routing());
      if (base == null) return invalid(reply.routing());
      if (!firstOfInteraction(reply.streamId())) return send(reply); // a follow-up, as replies not streamed
      if (!view.editRefused) {
        SendOutcome out = editOriginal(base, reply.text());
        if (!(out instanceof SendOutcome.Failed)) return out;
        view.editRefused = true; // e.g. the deferred response was deleted: a follow-up instead
      }
      return send(reply);
    }

    /** A later stream of the interaction shows no preview (only the first edits the deferred response). */
    private static final SendOutcome LATER_STREAM =
        new SendOutcome.Failed("discord: only an interaction's first stream previews in its response");

    /** Whether {@code streamId} is its turn's first stream ({@code <message id>#1}). */
    static boolean firstOfInteraction(String streamId) {
      return streamId.endsWith("#1");
    }

    private SendOutcome editOriginal(URI base, String text) {
      return http.request("PATCH", URI.create(base + "/messages/@original"), content(text), Optional.empty(),
          r -> SendOutcome.DELIVERED, r -> new SendOutcome.Failed("discord: edit HTTP " + r.statusCode()));
    }

    private static byte[] content(String text) {
      return JsonFields.bytes(JsonFields.newObject().put("content", text));
    }

    /** The interaction's webhook URL, or null when a segment does not match its pattern. */
    private @Nullable URI webhook(Map<String, String> routing) {
      String app = cfg.applicationId(); // never a payload's
      String token = routing.get("token");
      if (token == null || !TOKEN.matcher(token).matches() || !APPLICATION_ID.matcher(app).matches()) return null;
      return URI.create(cfg.apiBaseUrl() + "/webhooks/" + app + "/" + token);
    }

    private SendOutcome invalid(Map<String, String> routing) {
      String token = routing.get("token");
      return token == null || !TOKEN.matcher(token).matches()
          ? new SendOutcome.Failed("discord: no valid interaction token")
          : new SendOutcome.Failed("discord: application_id is not set");
    }
  }
}
