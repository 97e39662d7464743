package dev.baton.agents.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Idempotency keys for tool calls an LLM asks for (P6). A key is derived from what stays the same when a
 * turn runs again after a crash: the ids of the messages the turn answers, the tool round, the tool, its
 * arguments and the call's position among identical calls of the round. The provider's own tool-call id is
 * deliberately not part of it: real providers mint a fresh random id per response, so a key built from it
 * would never match on a re-run and the side effect would happen twice.
 *
 * <p>Public because both agent loops derive their keys here: {@code dev.baton.agents.OpenAiAgent} and
 * {@code dev.baton.langchain4j.LangChain4jTools} (two packages); not an API.
 */
public final class IdempotencyKeys {

  private IdempotencyKeys() {}

  /**
   * The key of one call.
   *
   * @param scope what else separates calls (e.g. the LangChain4j memory id); empty for none
   * @param occurrence 0 for the first call of this tool with these arguments in the round, 1 for the next...
   */
  public static String forCall(
      List<String> messageIds, String scope, int round, String tool, String argumentsJson, int occurrence) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (String id : messageIds) update(sha, id);
    update(sha, scope);
    update(sha, Integer.toString(round));
    update(sha, tool);
    update(sha, argumentsJson.strip());
    update(sha, Integer.toString(occurrence));
    return "llm-" + HexFormat.of().formatHex(sha.digest(), 0, 16);
  }

  private static void update(MessageDigest sha, String part) {
    byte[] b = part.getBytes(StandardCharsets.UTF_8);
    sha.update((byte) (b.length >>> 24));
    sha.update((byte) (b.length >>> 16));
    sha.update((byte) (b.length >>> 8));
    sha.update((byte) b.length);
    sha.update(b);
  }
}
