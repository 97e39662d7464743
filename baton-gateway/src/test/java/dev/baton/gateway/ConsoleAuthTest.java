package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.config.AdminConfig;
import dev.baton.config.BatonConfig;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.gateway.support.SseClient;
import dev.baton.gateway.support.Tokens;
import dev.baton.testing.ManualScheduler;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The console's login, cookie, CSRF and data hiding over a real socket (docs/console.md): no cookie, a forged
 * cookie, an expired one (the ManualScheduler's clock), a logged-out one get no data; a POST without the CSRF
 * token or with a wrong one is 403 and does nothing; the token is in no log line; no console without
 * admin.token; message text hidden unless admin.show_text.
 */
class ConsoleAuthTest {

  static final ObjectMapper M = new ObjectMapper();
  static final Pattern CSRF = Pattern.compile("<meta name=\"csrf\" content=\"([^\"]+)\">");
  final ManualScheduler clock = new ManualScheduler();
  Harness h;
  FakeEngine engine;

  void start(UnaryOperator<BatonConfig> tweak) {
    h = new Harness(clock, new RecordingStore(), tweak, (c, r) -> new FakeEngine(c, r));
    engine = (FakeEngine) h.engine;
  }

  @AfterEach
  void stop() {
    if (h != null) h.close();
  }

  HttpResponse<String> get(String path, String cookie) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri(path)).GET();
    if (cookie != null) b.header("Cookie", cookie);
    return h.send(b);
  }

  HttpResponse<String> form(String path, String cookie, String csrfHeader, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri(path)).header("Content-Type",
        "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body));
    if (cookie != null) b.header("Cookie", cookie);
    if (csrfHeader != null) b.header("X-CSRF-Token", csrfHeader);
    return h.send(b);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Logs in; returns the Cookie header value. */
  String login() {
    HttpResponse<String> r = form("/console/login", null, null, "token=" + enc(Harness.ADMIN_TOKEN));
    assertThat(r.statusCode()).isEqualTo(303);
    String set = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(set).contains("HttpOnly").contains("SameSite=Strict").contains("Path=/console")
        .contains("Max-Age=28800").doesNotContain("Secure");
    return set.substring(0, set.indexOf(';'));
  }

  String csrf(String cookie) {
    HttpResponse<String> page = get("/console", cookie);
    Matcher m = CSRF.matcher(page.body());
    assertThat(m.find()).as("the console page carries the CSRF token").isTrue();
    return m.group(1);
  }

  SseClient stream(String cookie, String query) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri("/console/stream" + query)).GET()
        .header("Accept", "text/event-stream");
    if (cookie != null) b.header("Cookie", cookie);
    return new SseClient(b);
  }

  @Test
  void withoutAdminTokenThereIsNoConsole() {
    start(c -> c.withAdmin(AdminConfig.defaults()));
    assertThat(get("/console", null).statusCode()).isEqualTo(404);
    assertThat(get("/console/stream", null).statusCode()).isEqualTo(404);
    assertThat(get("/console/assets/console.js", null).statusCode()).isEqualTo(404);
    assertThat(form("/console/login", null, null, "token=x").statusCode()).isEqualTo(404);
  }

  @Test
  void withoutALoginThereIsOnlyTheLoginFormAndNoData() throws Exception {
    start(c -> c);
    HttpResponse<String> page = get("/console", null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("name=\"token\"").doesNotContain("csrf").doesNotContain("view-sessions");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse("")).contains("script-src 'self'")
        .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline");
    assertThat(page.headers().firstValue("X-Frame-Options")).contains("DENY");
    assertThat(page.headers().firstValue("Cache-Control")).contains("no-store");
    try (SseClient s = stream(null, "")) {
      assertThat(s.status).isEqualTo(401);
      assertThat(s.body).doesNotContain("overview").doesNotContain("sessions");
    }
    HttpResponse<String> wrong = form("/console/login", null, null, "token=" + enc("x".repeat(40)));
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.headers().firstValue("Set-Cookie")).isEmpty();
    assertThat(form("/console/actions/cancel", null, null, "session=api:u:alice").statusCode()).isEqualTo(401);
    assertThat(engine.cancels).isEmpty();
  }

  @Test
  void aForgedCookieGetsNothing() {
    start(c -> c);
    login(); // a real session exists; a made-up id is still nobody's
    String forged = "baton_console=" + "A".repeat(43);
    assertThat(get("/console", forged).body()).contains("name=\"token\"").doesNotContain("csrf");
    try (SseClient s = stream(forged, "")) {
      assertThat(s.status).isEqualTo(401);
    }
    assertThat(form("/console/actions/drain", forged, "whatever", "session=api:u:alice").statusCode())
        .isEqualTo(401);
    assertThat(engine.cancels).isEmpty();
  }

  @Test
  void aLoginStreamsSnapshotsAndActsWithTheCsrfToken() throws Exception {
    start(c -> c);
    String cookie = login();
    String csrf = csrf(cookie);
    try (SseClient s = stream(cookie, "")) {
      assertThat(s.status).isEqualTo(200);
      SseClient.Event e = s.nextEvent();
      assertThat(e.event()).isEqualTo("snapshot");
      JsonNode snap = M.readTree(e.data());
      assertThat(snap.path("overview").has("running")).isTrue();
      assertThat(snap.path("cluster").path("enabled").asBoolean(true)).isFalse();
    }
    HttpResponse<String> r = form("/console/actions/cancel", cookie, csrf, "session=api:u:alice");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(M.readTree(r.body()).path("session").asText()).isEqualTo("api:u:alice");
    assertThat(form("/console/actions/drain", cookie, null, "session=api:u:bob&csrf=" + enc(csrf)).statusCode())
        .as("the token in the form body").isEqualTo(200);
    assertThat(engine.cancels).containsExactly("api:u:alice", "api:u:bob drop");
  }

  @Test
  void aPostWithoutTheRightCsrfTokenIs403AndDoesNothing() {
    start(c -> c);
    String cookie = login();
    String csrf = csrf(cookie);
    assertThat(form("/console/actions/cancel", cookie, null, "session=api:u:alice").statusCode()).isEqualTo(403);
    assertThat(form("/console/actions/cancel", cookie, "wrong", "session=api:u:alice").statusCode())
        .isEqualTo(403);
    assertThat(form("/console/actions/cancel", cookie, csrf + "x", "session=api:u:alice").statusCode())
        .isEqualTo(403);
    assertThat(form("/console/actions/drain", cookie, null, "session=api:u:alice&csrf=nope").statusCode())
        .isEqualTo(403);
    assertThat(form("/console/logout", cookie, null, "").statusCode()).isEqualTo(403);
    String other = login();
    assertThat(form("/console/actions/cancel", cookie, csrf(other), "session=api:u:alice").statusCode())
        .as("another login's token").isEqualTo(403);
    assertThat(engine.cancels).isEmpty();
    assertThat(get("/console", cookie).body()).as("still logged in").contains(csrf);
  }

  @Test
  void aCookieExpiresAfterTheIdleTimeAndAtLogout() {
    start(c -> c);
    String cookie = login();
    String csrf = csrf(cookie);
    clock.advance(Duration.ofHours(7));
    assertThat(get("/console", cookie).body()).as("used within 8 h: still live").contains(csrf);
    clock.advance(Duration.ofHours(8));
    assertThat(get("/console", cookie).body()).contains("name=\"token\"").doesNotContain(csrf);
    try (SseClient s = stream(cookie, "")) {
      assertThat(s.status).isEqualTo(401);
    }
    assertThat(form("/console/actions/cancel", cookie, csrf, "session=api:u:alice").statusCode()).isEqualTo(401);

    String again = login();
    String csrf2 = csrf(again);
    HttpResponse<String> out = form("/console/logout", again, csrf2, "");
    assertThat(out.statusCode()).isEqualTo(303);
    assertThat(out.headers().firstValue("Set-Cookie").orElse("")).contains("Max-Age=0");
    try (SseClient s = stream(again, "")) {
      assertThat(s.status).isEqualTo(401);
    }
    assertThat(form("/console/actions/cancel", again, csrf2, "session=api:u:alice").statusCode()).isEqualTo(401);
    assertThat(engine.cancels).isEmpty();
  }

  @Test
  void theTokenAndTheCookieAreInNoLogLine() {
    start(c -> c);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(logs);
    ch.qos.logback.classic.Logger console = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
        "dev.baton.gateway.internal.ConsoleRoutes");
    ch.qos.logback.classic.Level level = console.getLevel();
    console.setLevel(ch.qos.logback.classic.Level.INFO);
    try {
      form("/console/login", null, null, "token=" + enc(Harness.ADMIN_TOKEN + "-wrong"));
      String cookie = login();
      String csrf = csrf(cookie);
      form("/console/actions/cancel", cookie, csrf, "session=api:u:alice");
      form("/console/actions/cancel", cookie, "bad", "session=api:u:alice");
      String id = cookie.substring(cookie.indexOf('=') + 1);
      assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
          .anySatisfy(m -> assertThat(m).contains("console action cancel on session api:u:alice by console:"))
          .allSatisfy(m -> assertThat(m).doesNotContain(Harness.ADMIN_TOKEN).doesNotContain(id)
              .doesNotContain(csrf));
    } finally {
      console.setLevel(level);
      root.detachAppender(logs);
    }
  }

  @Test
  void failedLoginsAreLimitedPerMinute() {
    start(c -> c);
    for (int i = 0; i < 10; i++) {
      assertThat(form("/console/login", null, null, "token=guess" + i).statusCode()).isEqualTo(401);
    }
    assertThat(form("/console/login", null, null, "token=" + enc(Harness.ADMIN_TOKEN)).statusCode())
        .as("even the right token, until the minute is over").isEqualTo(429);
    clock.advance(Duration.ofMinutes(1));
    login();
  }

  String timelineText(String cookie) throws Exception {
    assertThat(h.post("/v1/messages", Tokens.bearer("alice", clock.now().plusSeconds(3600)),
        "{\"id\":\"m-1\",\"text\":\"my secret plans\"}").statusCode()).isEqualTo(202);
    try (SseClient s = stream(cookie, "?session=" + enc("api:u:alice"))) {
      assertThat(s.nextEvent().event()).isEqualTo("snapshot");
      SseClient.Event t = s.nextEvent();
      assertThat(t.event()).isEqualTo("timeline");
      return t.data();
    }
  }

  @Test
  void messageTextIsHiddenUnlessShowText() throws Exception {
    start(c -> c);
    String tl = timelineText(login());
    assertThat(tl).contains("accepted m-1").contains("15 chars hidden").doesNotContain("secret");
  }

  @Test
  void showTextShowsIt() throws Exception {
    start(c -> c.withAdmin(new AdminConfig(Harness.ADMIN_TOKEN).withShowText(true)));
    assertThat(timelineText(login())).contains("my secret plans");
  }
}
