package dev.baton.gateway.internal;

import dev.baton.Baton;
import dev.baton.SessionKey;
import dev.baton.config.AdminConfig;
import dev.baton.spi.LogText;
import dev.baton.spi.Scheduler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview: the operator console under /console (docs/console.md), present only when admin.token is set (every
 * /console path is 404 otherwise). GET /console is the login form, or with a valid session cookie the console
 * page; POST /console/login takes the admin token from the form body (never a URL, never logged) and sets the
 * cookie `baton_console` (HttpOnly, SameSite=Strict, Path=/console, Secure when the request came over https or
 * through a proxy that says X-Forwarded-Proto: https); POST /console/logout ends it. GET /console/stream is the
 * page's one server-sent-event stream (ConsoleFeed, ConsoleStream). POST /console/actions/cancel and
 * /console/actions/drain cancel a session's running turn, and with drain also drop its queued messages; each is
 * logged with the console session's short hash (never the token or the cookie) and the time.
 * Every POST but the login needs the cookie and the session's CSRF token (header X-CSRF-Token or form field
 * csrf, compared in constant time): without either it is 403 and nothing is done. Without a valid cookie the
 * stream and the actions are 401 and give no data. Pages and assets come from the jar; every console response
 * has a strict Content-Security-Policy (script-src 'self', no inline script or style), X-Frame-Options DENY,
 * nosniff, no referrer, and Cache-Control no-store.
 */
final class ConsoleRoutes {

  private static final Logger log = LoggerFactory.getLogger(ConsoleRoutes.class);
  static final String COOKIE = "baton_console";
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
      + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final String RESOURCES = "/dev/baton/gateway/console/";
  private static final Map<String, String> ASSETS = Map.of("console.js", "text/javascript; charset=utf-8",
      "console.css", "text/css; charset=utf-8");

  private final AdminConfig admin;
  private final Baton engine;
  private final Scheduler scheduler;
  private final BodyLimits limits;
  private final ConsoleAuth auth;
  private final ConsoleFeed feed;
  private final Map<String, byte[]> assets = new HashMap<>();
  private final String loginPage;
  private final String consolePage;

  ConsoleRoutes(AdminConfig admin, Baton engine, Scheduler scheduler, BodyLimits limits, ConsoleAuth auth,
      ConsoleFeed feed) {
    this.admin = admin;
    this.engine = engine;
    this.scheduler = scheduler;
    this.limits = limits;
    this.auth = auth;
    this.feed = feed;
    for (String name : ASSETS.keySet()) assets.put(name, resource(name).getBytes(StandardCharsets.UTF_8));
    this.loginPage = resource("login.html");
    this.consolePage = resource("console.html");
  }

  private static String resource(String name) {
    try (InputStream in = ConsoleRoutes.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) throw new IllegalStateException("console resource missing from the jar: " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void register(HttpRules rules) {
    rules.get("/console", this::page)
        .get("/console/", this::page)
        .post("/console/login", this::login)
        .post("/console/logout", this::logout)
        .get("/console/stream", this::stream)
        .post("/console/actions/{action}", this::action)
        .get("/console/assets/{name}", this::asset);
  }

  /** Headers of every console response. */
  static void secure(ServerResponse res) {
    res.header(HeaderNames.create("Content-Security-Policy"), CSP)
        .header(HeaderNames.create("X-Frame-Options"), "DENY")
        .header(HeaderNames.create("X-Content-Type-Options"), "nosniff")
        .header(HeaderNames.create("Referrer-Policy"), "no-referrer")
        .header(HeaderNames.CACHE_CONTROL, "no-store");
  }

  void page(ServerRequest req, ServerResponse res) {
    secure(res);
    Optional<ConsoleAuth.Session> s = session(req);
    if (s.isEmpty()) {
      html(res, 200, login(""));
      return;
    }
    html(res, 200, consolePage.replace("{{csrf}}", s.get().csrf)
        .replace("{{show_text}}", String.valueOf(admin.showText())));
  }

  /** The peer's address (not a forwarded header, which a client can write): failed logins are counted per address. */
  private static String clientAddress(ServerRequest req) {
    try {
      return req.remotePeer().host();
    } catch (RuntimeException e) {
      return "";
    }
  }

  private String login(String message) {
    return loginPage.replace("{{message}}", message.isEmpty() ? "" : "<p class=\"error\" id=\"login-error\">"
        + message + "</p>");
  }

  void login(ServerRequest req, ServerResponse res) {
    secure(res);
    Map<String, String> form = form(req);
    Optional<ConsoleAuth.Login> in;
    try {
      in = auth.login(form.getOrDefault("token", ""), clientAddress(req));
    } catch (ConsoleAuth.Throttled e) {
      log.warn("console login refused: too many failed logins in the last minute");
      html(res, 429, login("Too many failed logins; wait a minute and try again."));
      return;
    }
    if (in.isEmpty()) {
      log.warn("console login failed (wrong admin token)");
      html(res, 401, login("Wrong admin token."));
      return;
    }
    log.info("console login: {} at {}", in.get().session().who(), scheduler.now());
    res.header(HeaderNames.SET_COOKIE, cookie(req, in.get().cookie(), admin.consoleIdleMs() / 1000))
        .header(HeaderNames.LOCATION, "/console").status(303).send();
  }

  void logout(ServerRequest req, ServerResponse res) {
    secure(res);
    Map<String, String> form = form(req);
    ConsoleAuth.Session s = authorizePost(req, form);
    auth.logout(s);
    log.info("console logout: {} at {}", s.who(), scheduler.now());
    res.header(HeaderNames.SET_COOKIE, cookie(req, "", 0)).header(HeaderNames.LOCATION, "/console").status(303)
        .send();
  }

  void action(ServerRequest req, ServerResponse res) {
    secure(res);
    String action = req.path().pathParameters().get("action");
    boolean drop = switch (action) {
      case "cancel" -> false;
      case "drain" -> true;
      default -> throw new HttpError(404, "not_found", "no such console action");
    };
    Map<String, String> form = form(req);
    ConsoleAuth.Session s = authorizePost(req, form);
    SessionKey session;
    try {
      session = SessionKey.parse(form.getOrDefault("session", ""));
    } catch (IllegalArgumentException e) {
      throw new HttpError(404, "not_found", "no such session (give its canonical key, such as api:u:alice)");
    }
    Baton.Cancelled c = engine.cancel(session, drop);
    log.info("console action {} on session {} by {} at {}: {} turn(s) cancelled, {} queued message(s) dropped",
        action, LogText.escape(session.value()), s.who(), scheduler.now(), c.turns(), c.dropped());
    if (!c.any()) throw new HttpError(404, "not_found", "nothing is running or queued in that session");
    HelidonIo.json(res, 200, JsonFields.newObject().put("session", session.value()).put("cancelled", c.turns())
        .put("dropped", c.dropped()));
  }

  void stream(ServerRequest req, ServerResponse res) {
    secure(res);
    ConsoleAuth.Session s = session(req).orElseThrow(() -> HttpError.unauthorized("log in to the console first"));
    String chosen = HelidonIo.query(req, "session").orElse("");
    if (chosen.length() > 512) throw HttpError.badRequest("parameter 'session' is not a session key");
    ConsoleStream stream = new ConsoleStream();
    if (!feed.open(stream)) throw new HttpError(429, "too_many_streams", "too many console pages are open");
    try {
      byte[] first = feed.latest();
      res.status(200).header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
          .header(HeaderNames.create("X-Accel-Buffering"), "no");
      try (OutputStream out = res.outputStream()) {
        stream.run(out, first, () -> {
          if (!auth.live(s)) return false;
          auth.touch(s); // an open page keeps its login
          return true;
        }, chosen.isEmpty() ? null : snap -> "event: timeline\ndata: "
            + ConsoleFeed.utf8(feed.timelineOf(chosen)) + "\n\n");
      } catch (IOException | UncheckedIOException e) {
        // the page went away
      }
    } finally {
      stream.close();
      feed.remove(stream);
    }
  }

  void asset(ServerRequest req, ServerResponse res) {
    secure(res);
    String name = req.path().pathParameters().get("name");
    byte[] body = assets.get(name);
    if (body == null) throw new HttpError(404, "not_found", "no such asset");
    res.status(200).header(HeaderNames.CONTENT_TYPE, ASSETS.get(name)).send(body);
  }

  /** The session of the request's cookie, if it is live. */
  Optional<ConsoleAuth.Session> session(ServerRequest req) {
    return cookieValue(req).flatMap(auth::session);
  }

  private static Optional<String> cookieValue(ServerRequest req) {
    for (String header : req.headers().values(HeaderNames.COOKIE)) {
      for (String part : header.split(";")) {
        String p = part.trim();
        if (p.startsWith(COOKIE + "=")) return Optional.of(p.substring(COOKIE.length() + 1));
      }
    }
    return Optional.empty();
  }

  /** The live session of a POST that also carries its CSRF token; 401 without a session, 403 without the token. */
  private ConsoleAuth.Session authorizePost(ServerRequest req, Map<String, String> form) {
    ConsoleAuth.Session s = session(req).orElseThrow(() -> HttpError.unauthorized("log in to the console first"));
    String given = HelidonIo.header(req, "X-CSRF-Token").orElse(form.getOrDefault("csrf", ""));
    if (!ConsoleAuth.csrfMatches(s, given)) {
      log.warn("console request refused: missing or wrong CSRF token ({})", s.who());
      throw new HttpError(403, "forbidden", "missing or wrong CSRF token");
    }
    return s;
  }

  private static String cookie(ServerRequest req, String value, long maxAgeSeconds) {
    boolean https = req.isSecure() || HelidonIo.header(req, "X-Forwarded-Proto").orElse("")
        .toLowerCase(Locale.ROOT).equals("https");
    return COOKIE + "=" + value + "; Path=/console; Max-Age=" + maxAgeSeconds + "; HttpOnly; SameSite=Strict"
        + (https ? "; Secure" : "");
  }

  private Map<String, String> form(ServerRequest req) {
    String body = new String(limits.read(req), StandardCharsets.UTF_8);
    Map<String, String> out = new HashMap<>();
    if (body.isBlank()) return out;
    try {
      for (String pair : body.split("&")) {
        int eq = pair.indexOf('=');
        String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        if (out.putIfAbsent(k, v) != null) throw HttpError.badRequest("a form field is given twice");
      }
    } catch (IllegalArgumentException e) {
      throw HttpError.badRequest("the form body is not application/x-www-form-urlencoded");
    }
    return out;
  }

  private static void html(ServerResponse res, int status, String page) {
    res.status(status).header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
        .send(page.getBytes(StandardCharsets.UTF_8));
  }
}
