package dev.baton.gateway.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;

/**
 * A property-based fuzzer for every payload parser: random bytes, and valid payloads of each platform
 * mutated (bytes flipped, inserted, deleted; JSON values swapped for other types; nesting; huge numbers).
 * Property: a parser returns a message or throws {@link HttpError} 400 (never another exception, which
 * would become a 5xx), and its message never echoes the input. Jazzer could not be used: see
 * docs/http-api.md, "Fuzzing".
 */
class ParserFuzzTest {

  static final List<String> SEEDS = List.of(
      "{\"id\":\"m-1\",\"text\":\"hello\",\"seq\":3,\"chat\":\"room\",\"sent_at\":\"2026-01-01T10:00:00Z\"}",
      "{\"update_id\":500,\"message\":{\"message_id\":1,\"from\":{\"id\":42},\"chat\":{\"id\":42},\"date\":1,"
          + "\"text\":\"hi\"}}",
      "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event_time\":1,\"event\":{\"type\":\"message\","
          + "\"user\":\"U1\",\"channel\":\"C1\",\"text\":\"hi\",\"ts\":\"1.2\",\"thread_ts\":\"1.1\"}}",
      "{\"id\":\"9\",\"application_id\":\"1\",\"type\":2,\"token\":\"t\",\"channel_id\":\"C\",\"member\":{\"user\":"
          + "{\"id\":\"5\"}},\"data\":{\"name\":\"ask\",\"options\":[{\"name\":\"text\",\"value\":\"hi\"}]}}",
      "{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"value\":{\"metadata\":"
          + "{\"phone_number_id\":\"1\"},\"messages\":[{\"from\":\"1\",\"id\":\"w1\",\"timestamp\":\"1\","
          + "\"type\":\"text\",\"text\":{\"body\":\"hi\"}}]}}]}]}");

  static final List<Consumer<byte[]>> PARSERS = List.of(
      b -> ApiMessageParser.parse(b, "alice", Instant.EPOCH),
      TelegramChannel::parse,
      SlackChannel::parse,
      DiscordChannel::parse,
      WhatsAppChannel::parse);

  static void check(byte[] input) {
    for (Consumer<byte[]> p : PARSERS) {
      try {
        p.accept(input);
      } catch (HttpError e) {
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.getMessage()).isNotBlank().hasSizeLessThan(200);
      }
    }
  }

  @Property(tries = 1500)
  void randomBytes(@ForAll byte[] input) {
    check(input);
  }

  @Property(tries = 5000)
  void mutatedPayloads(@ForAll("mutated") byte[] input) {
    check(input);
  }

  @Property(tries = 200_000)
  @Tag("slow")
  void mutatedPayloadsLong(@ForAll("mutated") byte[] input) {
    check(input);
  }

  static final JwtVerifier JWT = new JwtVerifier(
      dev.baton.config.ChannelsConfig.JwtConfig.hs256(dev.baton.gateway.support.Tokens.SECRET),
      new dev.baton.testing.ManualScheduler());

  /** Bearer tokens: random strings and mutated real tokens are refused with 401 and nothing else. */
  @Property(tries = 3000)
  void bearerTokens(@ForAll("tokens") String header) {
    try {
      JWT.userOf(header);
    } catch (HttpError e) {
      assertThat(e.status()).isEqualTo(401);
    }
  }

  @Provide
  Arbitrary<String> tokens() {
    String real = "Bearer " + dev.baton.gateway.support.Tokens.hs256(dev.baton.gateway.support.Tokens.SECRET,
        "alice", Instant.parse("2030-01-01T00:00:00Z"));
    Arbitrary<String> mutatedReal = Combinators.combine(Arbitraries.just(real.getBytes(StandardCharsets.UTF_8)),
        Arbitraries.integers().between(1, 4), Arbitraries.randomValue(r -> r.nextLong()))
        .as((b, n, seed) -> new String(mutateBytes(b.clone(), n, seed), StandardCharsets.UTF_8));
    return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(300).map(s -> "Bearer " + s), mutatedReal,
        Arbitraries.strings().ofMaxLength(50));
  }

  @Provide
  Arbitrary<byte[]> mutated() {
    Arbitrary<String> seed = Arbitraries.of(SEEDS);
    Arbitrary<String> valueSwapped = Combinators.combine(seed, Arbitraries.of("null", "true", "-1", "1.5", "[]",
        "{}", "\"\"", "\"x\"", "99999999999999999999999999", "[[[[[[[[[[[[1]]]]]]]]]]]]", "\"\\ud800\""),
        Arbitraries.integers().between(0, 40)).as(ParserFuzzTest::swapValue);
    Arbitrary<byte[]> bytes = Arbitraries.oneOf(seed, valueSwapped).map(s -> s.getBytes(StandardCharsets.UTF_8));
    return Combinators.combine(bytes, Arbitraries.integers().between(0, 3),
        Arbitraries.randomValue(r -> r.nextLong())).as(ParserFuzzTest::mutateBytes);
  }

  /** Replaces the n-th JSON value (after a ':') with another literal. */
  static String swapValue(String json, String literal, int n) {
    int idx = -1;
    for (int i = 0; i <= n; i++) {
      idx = json.indexOf(':', idx + 1);
      if (idx < 0) return json;
    }
    int end = idx + 1;
    int depth = 0;
    boolean inString = false;
    for (; end < json.length(); end++) {
      char c = json.charAt(end);
      if (inString) {
        if (c == '\\') end++;
        else if (c == '"') inString = false;
        continue;
      }
      if (c == '"') inString = true;
      else if (c == '{' || c == '[') depth++;
      else if (c == '}' || c == ']') {
        if (depth == 0) break;
        depth--;
      } else if (c == ',' && depth == 0) break;
    }
    return json.substring(0, idx + 1) + literal + json.substring(end);
  }

  static byte[] mutateBytes(byte[] in, int edits, long seed) {
    java.util.Random r = new java.util.Random(seed);
    byte[] b = in;
    for (int i = 0; i < edits && b.length > 0; i++) {
      int pos = r.nextInt(b.length);
      switch (r.nextInt(3)) {
        case 0 -> b[pos] = (byte) r.nextInt(256);
        case 1 -> {
          byte[] n = new byte[b.length + 1];
          System.arraycopy(b, 0, n, 0, pos);
          n[pos] = "{}[]\",:0\\".getBytes(StandardCharsets.UTF_8)[r.nextInt(9)];
          System.arraycopy(b, pos, n, pos + 1, b.length - pos);
          b = n;
        }
        default -> {
          byte[] n = new byte[b.length - 1];
          System.arraycopy(b, 0, n, 0, pos);
          System.arraycopy(b, pos + 1, n, pos, b.length - pos - 1);
          b = n;
        }
      }
    }
    return b;
  }
}
