package dev.baton;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** P1: a session key is a structured value; no two different (channel, user, chat) tuples share one. */
class SessionKeyTest {

  private static InboundMessage msg(String sender, String chat) {
    return new InboundMessage("api", "m", sender, chat, OrderKey.none(), "t", Instant.EPOCH, Map.of());
  }

  @Test
  void theUnescapedJoinOfUserAndChatNoLongerMeets() {
    SessionKey a = SessionKey.derive(msg("x:alice", "general"), IdSource.USER_AND_CHAT);
    SessionKey b = SessionKey.derive(msg("alice", "general:x"), IdSource.USER_AND_CHAT);
    assertThat(a).isNotEqualTo(b);
    assertThat(a.value()).isEqualTo("api:uc:general:x%3Aalice");
    assertThat(b.value()).isEqualTo("api:uc:general%3Ax:alice");
  }

  @Test
  void aMessageWithoutAChatIsTheSendersOwnSessionAndAChatNamedLikeAUserIsNot() {
    for (IdSource source : IdSource.values()) {
      assertThat(SessionKey.derive(msg("alice", ""), source)).isEqualTo(SessionKey.user("api", "alice"));
    }
    assertThat(SessionKey.derive(msg("mallory", "alice"), IdSource.CHAT_ID))
        .isNotEqualTo(SessionKey.derive(msg("alice", ""), IdSource.CHAT_ID));
  }

  @Test
  void partsReadBack() {
    SessionKey k = SessionKey.member("slack", "C1:%\n/\u0085\u2028", "U:2");
    assertThat(k.channel()).isEqualTo("slack");
    assertThat(k.kind()).isEqualTo(SessionKey.Kind.MEMBER);
    assertThat(k.chatId()).contains("C1:%\n/\u0085\u2028");
    assertThat(k.user()).contains("U:2");
    assertThat(k.value()).doesNotContain("\n", "\u0085", "\u2028", "/").isEqualTo("slack:uc:C1%3A%25%0A%2F%85%u2028:U%3A2");
    assertThat(SessionKey.parse(k.value())).isEqualTo(k);
  }

  @Test
  void onlyCanonicalTextParses() {
    for (String bad : List.of("s1", "api:u", "api:x:bob", "api:u:a:b", "api:uc:a", "api:u:", "API:u:bob",
        "api:u:%3a", "api:u:%", "api:u:%zz", "api:u:a%41", "api:u:\n", "api:u:a/b", "api:u:%u002", "api:u:%u0041")) {
      assertThatThrownBy(() -> SessionKey.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(SessionKey.parse("api:u:bob")).isEqualTo(SessionKey.user("api", "bob"));
  }

  @Provide
  Arbitrary<String> parts() {
    return Arbitraries.strings().withChars(":%a\n\u0001b/\u2028\u0085").ofMinLength(1).ofMaxLength(6);
  }

  @Property(tries = 2000)
  void theEncodingIsInjective(@ForAll("parts") String chat1, @ForAll("parts") String user1,
      @ForAll("parts") String chat2, @ForAll("parts") String user2) {
    boolean same = chat1.equals(chat2) && user1.equals(user2);
    assertThat(SessionKey.member("api", chat1, user1).equals(SessionKey.member("api", chat2, user2))).isEqualTo(same);
    assertThat(SessionKey.user("api", user1).equals(SessionKey.chat("api", user1))).isFalse();
    SessionKey k = SessionKey.member("api", chat1, user1);
    assertThat(SessionKey.parse(k.value())).isEqualTo(k);
    assertThat(k.chatId()).contains(chat1);
    assertThat(k.user()).contains(user1);
  }

  @Provide
  Arbitrary<String> ids() {
    return Arbitraries.strings().withChars(":%ab\u0001").ofMinLength(1).ofMaxLength(6);
  }

  @Property(tries = 500)
  void dedupKeysOfDifferentSendersOrIdsDiffer(@ForAll("ids") String s1, @ForAll("ids") String id1,
      @ForAll("ids") String s2, @ForAll("ids") String id2) {
    DedupKey a = DedupKey.of(InboundMessage.of("api", id1, s1, "t", Instant.EPOCH), 1);
    DedupKey b = DedupKey.of(InboundMessage.of("api", id2, s2, "t", Instant.EPOCH), 1);
    assertThat(a.equals(b)).isEqualTo(s1.equals(s2) && id1.equals(id2));
  }

  @Test
  void aStoredKeyFromBeforeStructuredKeysIsReadAsALegacySessionThatMeetsNoLiveOne() {
    SessionKey old = SessionKey.fromStored("api:uc:general:x:alice");
    assertThat(old.channel()).isEqualTo(SessionKey.LEGACY_CHANNEL);
    assertThat(old.user()).contains("api:uc:general:x:alice");
    assertThat(old).isNotEqualTo(SessionKey.derive(msg("alice", "general:x"), IdSource.USER_AND_CHAT));
    assertThat(SessionKey.fromStored("api:u:bob")).isEqualTo(SessionKey.user("api", "bob"));
  }
}
