package dev.baton.gateway.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.Baton;
import dev.baton.EngineSnapshot;
import dev.baton.SessionKey;
import dev.baton.config.AdminConfig;
import dev.baton.spi.BatonJson;
import dev.baton.spi.Store;
import dev.baton.spi.StoreStats;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/*
 * Overview: operations endpoints. /health says the process answers; /ready says the store answers and the
 * gateway is not draining; /metrics is the Prometheus text format of the meter registry; /v1/admin/* is
 * read-only but for POST /v1/admin/sessions/{session}/cancel (Baton.cancel of any session, P10), and needs
 * `Authorization: Bearer <admin.token>` (compared in constant time; the admin API is absent, 404, when no token
 * is configured). Extra admin views are plugged in by name (AdminView).
 */
final class OpsRoutes {

  private final AdminConfig admin;
  private final Baton engine;
  private final Store store;
  private final MeterRegistry meters;
  private final Ingress ingress;
  private final Map<String, Supplier<Object>> views;
  private final BodyLimits limits;

  public OpsRoutes(AdminConfig admin, Baton engine, Store store, MeterRegistry meters, Ingress ingress,
      Map<String, Supplier<Object>> views, BodyLimits limits) {
    this.limits = limits;
    this.admin = admin;
    this.engine = engine;
    this.store = store;
    this.meters = meters;
    this.ingress = ingress;
    this.views = new TreeMap<>(views);
  }

  public void register(HttpRules rules) {
    rules.get("/health", (req, res) -> HelidonIo.json(res, 200, JsonFields.newObject().put("status", "up")))
        .get("/ready", this::ready)
        .get("/metrics", this::metrics)
        .get("/v1/admin", (req, res) -> {
          authorize(req);
          ObjectNode out = JsonFields.newObject();
          ArrayNode list = out.putArray("views");
          list.add("sessions").add("dedup");
          views.keySet().forEach(list::add);
          HelidonIo.json(res, 200, out);
        })
        .get("/v1/admin/sessions", this::sessions)
        .get("/v1/admin/dedup", this::dedup)
        .get("/v1/admin/{view}", this::view)
        .post("/v1/admin/sessions/{session}/cancel", this::cancel);
  }

  void ready(ServerRequest req, ServerResponse res) {
    boolean up;
    try {
      up = store.ping();
    } catch (RuntimeException e) {
      up = false;
    }
    if (ingress.draining()) {
      HelidonIo.json(res, 503, JsonFields.newObject().put("status", "draining"));
    } else {
      HelidonIo.json(res, up ? 200 : 503, JsonFields.newObject().put("status", up ? "ready" : "store_unavailable"));
    }
  }

  void metrics(ServerRequest req, ServerResponse res) {
    Optional<PrometheusMeterRegistry> prom = prometheus(meters);
    if (prom.isEmpty()) throw new HttpError(404, "not_found", "no Prometheus registry is configured");
    res.status(200).header(HeaderNames.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
        .send(prom.get().scrape().getBytes(StandardCharsets.UTF_8));
  }

  static Optional<PrometheusMeterRegistry> prometheus(MeterRegistry r) {
    if (r instanceof PrometheusMeterRegistry p) return Optional.of(p);
    if (r instanceof CompositeMeterRegistry c) {
      for (MeterRegistry child : c.getRegistries()) {
        Optional<PrometheusMeterRegistry> p = prometheus(child);
        if (p.isPresent()) return p;
      }
    }
    return Optional.empty();
  }

  void sessions(ServerRequest req, ServerResponse res) {
    authorize(req);
    EngineSnapshot snap = engine.snapshot();
    ObjectNode out = JsonFields.newObject().put("running_turns", snap.runningTurns())
        .put("queued_messages", snap.queuedMessages());
    ArrayNode list = out.putArray("sessions");
    for (EngineSnapshot.SessionView s : snap.sessions()) {
      list.addObject().put("session", s.session().value()).put("queued", s.queued()).put("running", s.running())
          .put("class", s.sessionClass());
    }
    HelidonIo.json(res, 200, out);
  }

  void dedup(ServerRequest req, ServerResponse res) {
    authorize(req);
    StoreStats stats = store.stats();
    ObjectNode out = JsonFields.newObject().put("journal_entries", stats.journalEntries())
        .put("unfinished", stats.unfinished()).put("undelivered_replies", stats.undeliveredReplies())
        .put("idempotency_records", stats.idempotencyRecords());
    ObjectNode byChannel = out.putObject("admissions");
    for (Counter c : meters.find("baton.gateway.admissions").counters()) {
      String channel = c.getId().getTag("channel");
      String result = c.getId().getTag("result");
      if (channel != null && result != null) byChannel.withObject(channel).put(result, (long) c.count());
    }
    HelidonIo.json(res, 200, out);
  }

  /**
   * Cancels the running turn (and with {@code drop_queued} the queued messages) of any session. 404 for text
   * that is not a canonical session key and for a session with nothing to cancel (no running turn, nothing
   * queued), as for an unknown view; the key is not echoed.
   */
  void cancel(ServerRequest req, ServerResponse res) {
    authorize(req);
    SessionKey session;
    try {
      session = SessionKey.parse(req.path().pathParameters().get("session"));
    } catch (IllegalArgumentException e) {
      throw new HttpError(404, "not_found", "no such session (give its canonical key, such as api:u:alice)");
    }
    MessageApi.CancelBody body = MessageApi.CancelBody.parse(limits.read(req), false);
    Baton.Cancelled c = engine.cancel(session, body.dropQueued());
    if (!c.any()) throw new HttpError(404, "not_found", "nothing is running or queued in that session");
    HelidonIo.json(res, 200, JsonFields.newObject().put("session", session.value()).put("cancelled", c.turns())
        .put("dropped", c.dropped()));
  }

  void view(ServerRequest req, ServerResponse res) {
    authorize(req);
    Supplier<Object> v = views.get(req.path().pathParameters().get("view"));
    if (v == null) throw new HttpError(404, "not_found", "no such admin view");
    HelidonIo.json(res, 200, BatonJson.MAPPER.valueToTree(v.get()));
  }

  private void authorize(ServerRequest req) {
    if (!admin.enabled()) throw new HttpError(404, "not_found", "the admin API is off (admin.token is empty)");
    String auth = HelidonIo.header(req, HeaderNames.AUTHORIZATION).orElse("");
    if (!auth.startsWith("Bearer ") || !Signatures.equal(admin.token(), auth.substring(7).trim())) {
      throw HttpError.unauthorized("missing or wrong admin token");
    }
  }
}
