package dev.baton.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.baton.Transcript.Entry;
import dev.baton.Transcript.Role;
import dev.baton.agents.internal.IdempotencyKeys;
import dev.baton.spi.tool.ToolSpec;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The transcript as conversation, idempotency keys and tool schemas. */
class ConversationTest {

  static Entry e(Role r, String text) {
    return new Entry(r, text, Instant.EPOCH);
  }

  static String tool(int round, String id, String result) {
    return Conversation.toolEntry(round, id, "t", "{}", result, false);
  }

  @Test
  void toolEntriesOfOneRoundBecomeOneAssistantMessageWithItsResults() {
    List<ChatMessage> m = Conversation.history(List.of(
        e(Role.USER, "q"), e(Role.ASSISTANT, "let me look"), e(Role.TOOL, tool(0, "a", "1")),
        e(Role.TOOL, tool(0, "b", "2")), e(Role.TOOL, tool(1, "c", "3")), e(Role.ASSISTANT, "answer")), 100);

    assertThat(m).hasSize(7);
    assertThat(m.get(0)).isInstanceOf(UserMessage.class);
    AiMessage first = (AiMessage) m.get(1);
    assertThat(first.text()).isEqualTo("let me look");
    assertThat(first.toolExecutionRequests()).extracting(r -> r.id()).containsExactly("a", "b");
    assertThat(((ToolExecutionResultMessage) m.get(2)).id()).isEqualTo("a");
    assertThat(((ToolExecutionResultMessage) m.get(3)).text()).isEqualTo("2");
    assertThat(((AiMessage) m.get(4)).toolExecutionRequests()).extracting(r -> r.id()).containsExactly("c");
    assertThat(((ToolExecutionResultMessage) m.get(5)).id()).isEqualTo("c");
    assertThat(((AiMessage) m.get(6)).text()).isEqualTo("answer");
  }

  @Test
  void aHistoryWindowNeverStartsWithToolResultsAndUnreadableEntriesAreSkipped() {
    List<ChatMessage> m = Conversation.history(List.of(
        e(Role.USER, "old"), e(Role.TOOL, tool(0, "a", "1")), e(Role.TOOL, tool(0, "b", "2")),
        e(Role.ASSISTANT, "done"), e(Role.USER, "new"), e(Role.TOOL, "not json"), e(Role.SYSTEM, "x")), 5);

    assertThat(m).hasSize(2);
    assertThat(((AiMessage) m.get(0)).text()).isEqualTo("done");
    assertThat(((UserMessage) m.get(1)).singleText()).isEqualTo("new");
  }

  /** The transcript reader is BatonJson.MAPPER but for the string limit: a 2 MiB tool result is read back. */
  @Test
  void aToolResultLargerThanTheSharedMappersStringLimitStaysInTheHistory() {
    String big = "x".repeat(2 << 20);
    List<ChatMessage> m = Conversation.history(List.of(e(Role.USER, "q"), e(Role.TOOL, tool(0, "a", big)),
        e(Role.ASSISTANT, "answer")), 100);

    assertThat(m).hasSize(4);
    assertThat(((AiMessage) m.get(1)).toolExecutionRequests()).extracting(r -> r.id()).containsExactly("a");
    assertThat(((ToolExecutionResultMessage) m.get(2)).text()).hasSize(big.length());
  }

  @Test
  void idempotencyKeysDependOnTurnRoundToolArgumentsAndOccurrenceButNotOnCallIds() {
    String k = IdempotencyKeys.forCall(List.of("m1"), "", 0, "t", "{\"a\":1}", 0);
    assertThat(IdempotencyKeys.forCall(List.of("m1"), "", 0, "t", "{\"a\":1}", 0)).isEqualTo(k);
    assertThat(List.of(
        IdempotencyKeys.forCall(List.of("m2"), "", 0, "t", "{\"a\":1}", 0),
        IdempotencyKeys.forCall(List.of("m1"), "x", 0, "t", "{\"a\":1}", 0),
        IdempotencyKeys.forCall(List.of("m1"), "", 1, "t", "{\"a\":1}", 0),
        IdempotencyKeys.forCall(List.of("m1"), "", 0, "u", "{\"a\":1}", 0),
        IdempotencyKeys.forCall(List.of("m1"), "", 0, "t", "{\"a\":2}", 0),
        IdempotencyKeys.forCall(List.of("m1"), "", 0, "t", "{\"a\":1}", 1),
        IdempotencyKeys.forCall(List.of("m", "1"), "", 0, "t", "{\"a\":1}", 0)))
        .doesNotContain(k).doesNotHaveDuplicates();
  }

  @Test
  void toolNamesAreMadeProviderSafeAndMappedBack() {
    ToolNames names = new ToolNames(List.of("kv.upsert", "kv_upsert", "shared.ledger.append", "ok-name_1"));
    assertThat(names.provider("kv.upsert")).isEqualTo("kv_upsert");
    assertThat(names.provider("kv_upsert")).isEqualTo("kv_upsert_2"); // collision gets a suffix
    assertThat(names.provider("shared.ledger.append")).isEqualTo("shared_ledger_append");
    assertThat(names.provider("ok-name_1")).isEqualTo("ok-name_1");
    assertThat(names.baton("kv_upsert")).isEqualTo("kv.upsert");
    assertThat(names.baton("kv_upsert_2")).isEqualTo("kv_upsert");
    assertThat(names.baton("made_up")).isEqualTo("made_up");
    assertThat(ToolNames.safe("x".repeat(80))).hasSize(64);
  }

  @Test
  void toolSchemasAreTranslatedAndBadOnesLeftOut() {
    var specs = ToolSchemas.toSpecifications(List.of(
        new ToolSpec("ok", "fine", "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\","
            + "\"enum\":[\"a\",\"b\"]},\"n\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}}},\"required\":[\"p\"]}"),
        new ToolSpec("bad", "broken", "not json"),
        new ToolSpec("arr", "not an object", "{\"type\":\"array\"}")), new ToolNames(List.of()));
    assertThat(specs).extracting(s -> s.name()).containsExactly("ok");
    assertThat(specs.get(0).parameters().required()).containsExactly("p");
    assertThat(specs.get(0).parameters().properties()).containsKeys("p", "n");
    assertThatThrownBy(() -> ToolSchemas.toSpecification(new ToolSpec("x", "", "[]")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
