package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.Admission;
import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.SessionKey;
import dev.baton.config.ChannelsConfig.ApiChannelConfig;
import dev.baton.spi.Scheduler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Locale;

/*
 * Overview: the HTTP message API. POST /v1/messages verifies the JWT, parses the body (ApiMessageParser),
 * submits it and maps the Admission to 202/200/429/409; GET /v1/replies long-polls the caller's replies
 * (ApiReplies: this node's ReplyInbox, or the store's outbox in cluster mode); GET /v1/events streams the same
 * replies as server-sent events with the running turns' partial text and status (EventStream, EventHub);
 * POST /v1/cancel cancels the turn of the session the caller's messages (with that chat) go to.
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
  private final ApiReplies streamReplies;
  private final EventHub events;
  private final Baton engine;
  private final IdSource idSource;

  /**
   * @param inbox what GET /v1/replies reads (under max_polls_per_user)
   * @param streamReplies what GET /v1/events reads (the same replies, not counted as polls)
   */
  public MessageApi(JwtVerifier jwt, Ingress ingress, ApiReplies inbox, ApiReplies streamReplies, EventHub events,
      Baton engine, IdSource idSource, Scheduler scheduler, BodyLimits limits, ApiChannelConfig api) {
    this.api = api;
    this.streamReplies = streamReplies;
    this.events = events;
    this.engine = engine;
    this.idSource = idSource;
    this.jwt = jwt;
    this.ingress = ingress;
    this.inbox = inbox;
    this.scheduler = scheduler;
    this.limits = limits;
  }

  public void register(HttpRules rules) {
    rules.post("/v1/messages", this::post).get("/v1/replies", this::replies).get("/v1/events", this::events)
        .post("/v1/cancel", this::cancel);
  }

  void post(ServerRequest req, ServerResponse res) {
    JwtVerifier.Principal who = jwt.principalOf(HelidonIo.header(req, HeaderNames.AUTHORIZATION).orElse(null));
    byte[] body = limits.read(req);
    InboundMessage m = withClass(ApiMessageParser.parse(body, who.user(), scheduler.now()), who);
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

  /**
   * The verified class claim goes to the engine in the message's routing (the one place it reads a session's
   * class from); nothing of the body can put it there, since the parser builds routing itself.
   */
  static InboundMessage withClass(InboundMessage m, JwtVerifier.Principal who) {
    if (who.sessionClass().isEmpty()) return m;
    java.util.Map<String, String> r = new java.util.HashMap<>(m.routing());
    r.put(InboundMessage.ROUTE_CLASS, who.sessionClass());
    return m.withRouting(r);
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
    for (ReplyInbox.Entry e : page.entries()) list.add(replyJson(e.reply()));
    out.put("next", page.next());
    HelidonIo.json(res, 200, out);
  }

  /** A reply as GET /v1/replies and the {@code reply} events of GET /v1/events show it. */
  static ObjectNode replyJson(Reply r) {
    ObjectNode o = JsonFields.newObject();
    o.put("id", r.session() + "/" + r.outboxSeq());
    o.put("in_reply_to", r.inReplyTo());
    o.put("kind", r.kind().name().toLowerCase(Locale.ROOT));
    o.put("text", r.text());
    r.turn().ifPresent(t -> o.put("turn", t));
    if (!r.streamId().isEmpty()) o.put("reply_id", r.streamId());
    ArrayNode covers = o.putArray("covers");
    r.covers().forEach(covers::add);
    return o;
  }

  /**
   * GET /v1/events: the caller's replies after Last-Event-ID and, as they come, the live events of their turns
   * on this node, as server-sent events, until the client goes away or the gateway stops.
   */
  void events(ServerRequest req, ServerResponse res) {
    JwtVerifier.Principal who = jwt.principalOf(HelidonIo.header(req, HeaderNames.AUTHORIZATION).orElse(null));
    String user = who.user();
    String chat = ApiMessageParser.chat(HelidonIo.query(req, "chat").orElse(""));
    requireMember(who, chat, "parameter");
    String last = HelidonIo.header(req, "Last-Event-ID").orElse("").trim();
    if (last.length() > 256) throw HttpError.badRequest("header 'Last-Event-ID' is not a cursor");
    EventStream stream = new EventStream(user, chat, streamReplies, scheduler,
        Duration.ofMillis(api.eventHeartbeatMs()));
    events.open(user, stream);
    try {
      ReplyInbox.Page first;
      try {
        // Acknowledges what the client says it has (as a poll with that cursor does), at once.
        first = streamReplies.poll(user, chat, last, Duration.ZERO, true, new java.util.concurrent.CompletableFuture<>());
      } catch (HttpError e) {
        throw e.status() == 400 ? HttpError.badRequest("header 'Last-Event-ID' is not a cursor") : e;
      }
      res.status(200).header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .header(HeaderNames.CACHE_CONTROL, "no-cache").header(HeaderNames.create("X-Accel-Buffering"), "no");
      try (OutputStream out = res.outputStream()) {
        stream.run(out, first);
      } catch (IOException | UncheckedIOException e) {
        // the client went away while the response was being finished: nothing to answer
      }
    } finally {
      stream.close();
      events.remove(user, stream);
    }
  }

  /** POST /v1/cancel: cancels the caller's running turn in the session of {@code chat}. */
  void cancel(ServerRequest req, ServerResponse res) {
    JwtVerifier.Principal who = jwt.principalOf(HelidonIo.header(req, HeaderNames.AUTHORIZATION).orElse(null));
    CancelBody body = CancelBody.parse(limits.read(req), true);
    requireMember(who, body.chat(), "field");
    SessionKey session = ApiMessageParser.sessionOf(who.user(), body.chat(), idSource);
    Baton.Cancelled c = engine.cancel(session, body.dropQueued());
    HelidonIo.json(res, 200, JsonFields.newObject().put("cancelled", c.turns()).put("dropped", c.dropped()));
  }

  /**
   * The body of {@code POST /v1/cancel} (and of the admin's cancel, without {@code chat}): an empty body or a
   * JSON object with an optional {@code chat} string and an optional {@code drop_queued} boolean.
   */
  record CancelBody(String chat, boolean dropQueued) {
    static CancelBody parse(byte[] body, boolean chatAllowed) {
      if (body.length == 0) return new CancelBody("", false);
      ObjectNode root = JsonFields.object(body);
      String chat = "";
      if (chatAllowed) {
        chat = JsonFields.optText(root, "chat").orElse("");
        if (chat.length() > ApiMessageParser.MAX_ID_LENGTH) {
          throw HttpError.badRequest("field 'chat' must be at most 256 characters");
        }
      }
      JsonNode drop = root.get("drop_queued");
      if (drop != null && !drop.isNull() && !drop.isBoolean()) {
        throw HttpError.badRequest("field 'drop_queued' must be true or false");
      }
      return new CancelBody(chat, drop != null && drop.asBoolean(false));
    }
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
