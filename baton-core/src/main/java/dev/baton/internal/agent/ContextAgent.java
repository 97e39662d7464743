package dev.baton.internal.agent;

import dev.baton.Agent;
import dev.baton.SessionState;
import dev.baton.Turn;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built-in {@code context} agent ({@code agent.type: context}): the {@code context} level of the probe
 * contract (docs/probe.md), what a conversational agent with memory answers when asked to repeat every code it
 * was given.
 *
 * <p><b>Reply format.</b> For every message of a turn, in order, one reply {@code "codes: c1 c2 … ck"}: every
 * nonce (a token matching {@value #NONCE_REGEX}) the session has seen so far, in the order its messages were
 * taken, ending with this message's. A message without a nonce is answered with the list unchanged.
 *
 * <p><b>State.</b> The list lives in the session's state under {@value #CODES_KEY} (space-separated), written
 * with {@link SessionState#compareAndSet} once per turn, so a turn that raced another (with
 * {@code max_concurrent_per_session > 1}) is re-run by the engine instead of losing or repeating a code. At most
 * {@value #MAX_CODES} codes are kept (the oldest are dropped), so a session's state stays bounded.
 *
 * <p>Stateless and thread-safe; one instance serves every session.
 */
public final class ContextAgent implements Agent {

  /** The session-state key holding the codes seen so far, space-separated. */
  public static final String CODES_KEY = "context.codes";

  /** What a nonce looks like: {@code pn} and ten lowercase letters or digits. */
  public static final String NONCE_REGEX = "pn[0-9a-z]{10}";

  /** The most codes a session keeps. */
  public static final int MAX_CODES = 1000;

  private static final Pattern NONCE = Pattern.compile("\\b" + NONCE_REGEX + "\\b");

  @Override
  public void onTurn(Turn turn) {
    SessionState state = turn.state();
    Optional<String> before = state.get(CODES_KEY);
    List<String> codes = new ArrayList<>();
    before.ifPresent(s -> {
      for (String c : s.split(" ")) if (!c.isEmpty()) codes.add(c);
    });
    List<String> replies = new ArrayList<>();
    for (Turn.Message m : turn.messages()) {
      Matcher matcher = NONCE.matcher(m.text());
      while (matcher.find()) codes.add(matcher.group());
      while (codes.size() > MAX_CODES) codes.removeFirst();
      replies.add(format(codes));
    }
    if (!state.compareAndSet(CODES_KEY, before, String.join(" ", codes))) {
      throw new IllegalStateException("session state changed under the turn");
    }
    for (String r : replies) turn.reply(r);
  }

  /** The reply text for the codes seen so far: {@code "codes: c1 c2 … ck"}. */
  public static String format(List<String> codes) {
    return codes.isEmpty() ? "codes:" : "codes: " + String.join(" ", codes);
  }
}
