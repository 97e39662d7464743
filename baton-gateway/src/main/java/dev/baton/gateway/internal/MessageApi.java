package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Admission;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.config.ChannelsConfig.ApiChannelConfig;
import dev.baton.spi.Scheduler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Duration;
import java.util.Locale;

/*
 * Overview: the HTTP message API. POST /v1/messages verifies the JWT, parses the body (ApiMessageParser),
 * submits it and maps the Admission to 202/200/429/409; GET /v1/replies long-polls the caller's replies
 * (ApiReplies: this node's ReplyInbox, or the store's outbox in cluster mode).
 * The user is always the token's `sub`; nothing in a request can name another user. A `chat` is a membership:
 * a user may name one only when their token's chats claim or channels.api.chats grants it (else 403, nothing
 * stored), for posting and for reading replies alike.
 * Concurrency: handlers run on Helidon's virtual threads; a long poll parks its virtual thread on a future
 * (no platform thread is pinned: no synchronized, only ReentrantLock) until a reply or the Scheduler's deadline.
 */
final class MessageApi {

  public static final long MAX_WAIT_MS = 30_000;

  private final JwtVerifier jwt;
  private final Ingress ingress;
  private final ApiReplies inbox;
  private final Scheduler scheduler;
  private final BodyLimits limits;
  private final ApiChannelConfig api;

  public MessageApi(JwtVerifier jwt, Ingress ingress, ApiReplies inbox, Scheduler scheduler, BodyLimits limits,
      ApiChannelConfig api) {
    this.api = api;
    this.jwt = jwt;
    this.ingress = ingress;
    this.inbox = inbox;
    this.scheduler = scheduler;
    this.limits = limits;
  }

  public void register(HttpRules rules) {
    rules.post("/v1/messages", this::post).get("/v1/replies", this::replies);
  }

  void post(ServerRequest req, ServerResponse res) {
    JwtVerifier.Principal who = jwt.principalOf(HelidonIo.header(req, HeaderNames.AUTHORIZATION).orElse(null));
    byte[] body = limits.read(req);
    InboundMessage m = ApiMessageParser.parse(body, who.user(), scheduler.now());
    requireMember(who, m.chat(), "field");
    Admission a = ingress.submit(m);
    ObjectNode out = JsonFields.newObject();
    int status = switch (a) {
      case Admission.Accepted x -> {
        out.put("status", "accepted").put("id", m.messageId());
        yield 202;
      }
      case Admission.Duplicate x -> {
        out.put("status", "duplicate").put("id", m.messageId());
        yield 200;
      }
      case Admission.Busy b -> {
        out.put("status", "busy").put("id", m.messageId()).put("reply", b.reply());
        yield 429;
      }
      case Admission.Rejected r -> {
        out.put("status", "rejected").put("id", m.messageId()).put("reason", r.reason());
        yield 409;
      }
    };
    HelidonIo.json(res, status, out);
  }

  void replies(ServerRequest req, ServerResponse res) {
    JwtVerifier.Principal who = jwt.principalOf(HelidonIo.header(req, HeaderNames.AUTHORIZATION).orElse(null));
    String user = who.user();
    long waitMs = HelidonIo.query(req, "wait_ms").map(MessageApi::waitMs).orElse(0L);
    String after = HelidonIo.query(req, "after").orElse("");
    String chat = ApiMessageParser.chat(HelidonIo.query(req, "chat").orElse(""));
    requireMember(who, chat, "parameter");
    ReplyInbox.Page page = inbox.poll(user, chat, after, Duration.ofMillis(waitMs));
    ObjectNode out = JsonFields.newObject();
    ArrayNode list = out.putArray("replies");
    for (ReplyInbox.Entry e : page.entries()) {
      Reply r = e.reply();
      ObjectNode o = list.addObject();
      o.put("id", r.session() + "/" + r.outboxSeq());
      o.put("in_reply_to", r.inReplyTo());
      o.put("kind", r.kind().name().toLowerCase(Locale.ROOT));
      o.put("text", r.text());
      r.turn().ifPresent(t -> o.put("turn", t));
    }
    out.put("next", page.next());
    HelidonIo.json(res, 200, out);
  }

  /** A chat ("" = none) is usable only through a membership an authenticated source grants (P1). */
  private void requireMember(JwtVerifier.Principal who, String chat, String what) {
    if (chat.isEmpty() || who.chats().contains(chat) || api.declaresMember(chat, who.user())) return;
    // The chat's name is not echoed: the answer must not help probe which chats exist.
    throw HttpError.forbidden(what + " 'chat' names a chat you are not a member of (see the token's chats claim)");
  }

  static long waitMs(String v) {
    long ms;
    try {
      ms = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw HttpError.badRequest("parameter 'wait_ms' must be an integer from 0 to 30000");
    }
    if (ms < 0 || ms > MAX_WAIT_MS) {
      throw HttpError.badRequest("parameter 'wait_ms' must be an integer from 0 to 30000");
    }
    return ms;
  }
}
