package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Edge cases the fuzzer once found or that the contract names explicitly. */
class ParserEdgeCasesTest {

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void blankSendersAndIdsAre400NotAnEngineError() {
    assertThatThrownBy(() -> SlackChannel.parse(b("{\"type\":\"event_callback\",\"event_id\":\"E\",\"event\":"
        + "{\"type\":\"message\",\"user\":\" \",\"channel\":\"C\",\"text\":\"t\"}}")))
        .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThatThrownBy(() -> WhatsAppChannel.parse(b("{\"entry\":[{\"changes\":[{\"value\":{\"messages\":"
        + "[{\"type\":\"text\",\"id\":\"w\",\"from\":\"\",\"text\":{\"body\":\"x\"}}]}}]}]}")))
        .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThatThrownBy(() -> TelegramChannel.parse(b("{\"update_id\":1,\"message\":{\"from\":{\"id\":\"\"},"
        + "\"chat\":{\"id\":1},\"date\":1,\"text\":\"t\"}}")))
        .isInstanceOfSatisfying(HttpError.class, e -> assertThat(e.status()).isEqualTo(400));
  }

  @Test
  void theApiSenderIsTheTokenSubjectNeverABodyField() {
    var m = ApiMessageParser.parse(b("{\"id\":\"1\",\"text\":\"t\",\"sender\":\"mallory\",\"user\":\"mallory\"}"),
        "alice", Instant.EPOCH);
    assertThat(m.sender()).isEqualTo("alice");
    assertThat(m.routing()).containsEntry("user", "alice");
  }

  @Test
  void rfc3339NeedsAnOffset() {
    assertThatThrownBy(() -> ApiMessageParser.parse(b("{\"id\":\"1\",\"text\":\"t\",\"sent_at\":\"2026-01-01T00:00:00\"}"),
        "a", Instant.EPOCH)).isInstanceOf(HttpError.class);
    assertThat(ApiMessageParser.parse(b("{\"id\":\"1\",\"text\":\"t\",\"sent_at\":\"2026-01-01T00:00:00.5Z\"}"),
        "a", Instant.EPOCH).sentAt()).isEqualTo(Instant.parse("2026-01-01T00:00:00.5Z"));
  }
}
