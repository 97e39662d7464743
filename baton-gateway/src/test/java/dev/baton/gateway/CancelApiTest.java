package dev.baton.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.Baton;
import dev.baton.IdSource;
import dev.baton.config.SessionsConfig;
import dev.baton.gateway.support.FakeEngine;
import dev.baton.gateway.support.Harness;
import dev.baton.gateway.support.RecordingStore;
import dev.baton.gateway.support.Tokens;
import dev.baton.testing.ManualScheduler;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** POST /v1/cancel (the caller's own session) and POST /v1/admin/sessions/{session}/cancel, over a real socket. */
class CancelApiTest {

  static final ObjectMapper M = new ObjectMapper();
  ManualScheduler clock = new ManualScheduler();
  Harness h;
  FakeEngine engine;

  void start(IdSource idSource) {
    h = new Harness(clock, new RecordingStore(), c -> c.withSessions(new SessionsConfig(c.sessions().isolation(),
        c.sessions().storage(), idSource)), (c, r) -> new FakeEngine(c, r));
    engine = (FakeEngine) h.engine;
  }

  @AfterEach
  void stop() {
    if (h != null) h.close();
  }

  String token(String user, String... chats) {
    return Tokens.bearer(user, clock.now().plusSeconds(3600), chats);
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return M.readTree(r.body());
  }

  @Test
  void cancelsTheSessionTheCallersMessagesGoTo() throws Exception {
    start(IdSource.CHAT_ID);
    engine.cancelResult = new Baton.Cancelled(1, 3);
    HttpResponse<String> r = h.post("/v1/cancel", token("alice"), "{\"drop_queued\":true}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r)).isEqualTo(M.readTree("{\"cancelled\":1,\"dropped\":3}"));
    assertThat(h.post("/v1/cancel", token("alice", "room:1"), "{\"chat\":\"room:1\"}").statusCode()).isEqualTo(200);
    assertThat(h.post("/v1/cancel", token("bob"), "").statusCode()).as("an empty body is {}").isEqualTo(200);
    assertThat(engine.cancels).containsExactly("api:u:alice drop", "api:c:room%3A1", "api:u:bob");
  }

  @Test
  void withUserAndChatTheCallerCancelsOnlyTheirOwnMemberSession() throws Exception {
    start(IdSource.USER_AND_CHAT);
    h.post("/v1/cancel", token("alice", "room"), "{\"chat\":\"room\",\"drop_queued\":false}");
    assertThat(engine.cancels).containsExactly("api:uc:room:alice");
  }

  @Test
  void aForeignChatIs403AndBadInputIs400AndNothingIsCancelled() throws Exception {
    start(IdSource.CHAT_ID);
    HttpResponse<String> foreign = h.post("/v1/cancel", token("mallory"), "{\"chat\":\"victims-room\"}");
    assertThat(foreign.statusCode()).isEqualTo(403);
    assertThat(foreign.body()).doesNotContain("victims-room");
    assertThat(h.post("/v1/cancel", null, "{}").statusCode()).isEqualTo(401);
    assertThat(h.post("/v1/cancel", "Bearer x.y.z", "{}").statusCode()).isEqualTo(401);
    for (String bad : new String[] {"not json", "[]", "{\"drop_queued\":\"yes\"}", "{\"drop_queued\":1}",
        "{\"chat\":5}", "{\"chat\":\"" + "c".repeat(257) + "\"}", "{\"chat\":\"a\\u0000b\"}", "{} trailing",
        "{\"drop_queued\":true,\"drop_queued\":false}"}) {
      HttpResponse<String> r = h.post("/v1/cancel", token("alice"), bad);
      assertThat(r.statusCode()).as(bad).isEqualTo(400);
      assertThat(json(r).path("error").path("code").asText()).isEqualTo("bad_request");
    }
    assertThat(engine.cancels).isEmpty();
  }

  HttpResponse<String> admin(String path, String auth, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(h.uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
    if (auth != null) b.header("Authorization", auth);
    return h.send(b);
  }

  @Test
  void anAdminCancelsAnySessionByItsCanonicalKey() throws Exception {
    start(IdSource.USER_ID);
    String auth = "Bearer " + Harness.ADMIN_TOKEN;
    HttpResponse<String> r = admin("/v1/admin/sessions/api:u:alice/cancel", auth, "");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r)).isEqualTo(M.readTree("{\"session\":\"api:u:alice\",\"cancelled\":1,\"dropped\":0}"));
    // A key with an escaped part: its % is sent as %25 in the path.
    assertThat(admin("/v1/admin/sessions/api:c:room%253A1/cancel", auth, "{\"drop_queued\":true}").statusCode())
        .isEqualTo(200);
    assertThat(engine.cancels).containsExactly("api:u:alice", "api:c:room%3A1 drop");
  }

  @Test
  void adminCancelNeedsTheTokenAndAKnownCanonicalSession() throws Exception {
    start(IdSource.USER_ID);
    String auth = "Bearer " + Harness.ADMIN_TOKEN;
    assertThat(admin("/v1/admin/sessions/api:u:alice/cancel", null, "").statusCode()).isEqualTo(401);
    assertThat(admin("/v1/admin/sessions/api:u:alice/cancel", "Bearer wrong", "").statusCode()).isEqualTo(401);
    assertThat(admin("/v1/admin/sessions/api:u:alice/cancel", token("alice"), "").statusCode())
        .as("a user's JWT is no admin token").isEqualTo(401);
    for (String key : new String[] {"nope", "api:u:", "api:x:alice", "API:u:alice", "api:u:a:b", "api:u:a%3a"}) {
      HttpResponse<String> r = admin("/v1/admin/sessions/" + key.replace("%", "%25") + "/cancel", auth, "");
      assertThat(r.statusCode()).as(key).isEqualTo(404);
      assertThat(json(r).path("error").path("code").asText()).isEqualTo("not_found");
    }
    assertThat(engine.cancels).isEmpty();
    engine.cancelResult = new Baton.Cancelled(0, 0);
    assertThat(admin("/v1/admin/sessions/api:u:nobody/cancel", auth, "").statusCode()).as("nothing to cancel")
        .isEqualTo(404);
    assertThat(admin("/v1/admin/sessions/api:u:alice/cancel", auth, "{\"drop_queued\":2}").statusCode())
        .isEqualTo(400);
  }
}
