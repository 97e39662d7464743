package dev.baton;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The chain of agent-to-agent asks a turn belongs to (loop detection, the sibling of P8 for loops that do not
 * wait). A turn started by a user's message is in no chain ({@link #none()}); the first ask it makes starts
 * one; a turn that answers a question continues the question's chain, and each ask it makes adds one hop. The
 * engine refuses the ask that would take a chain past {@code tools.ask_max_hops}, or that repeats a cycle of
 * sessions within {@code tools.loop_window_ms} (by {@code tools.on_loop}).
 *
 * @param id names the chain in logs and reports; empty for no chain
 * @param path the sessions in ask order: the session whose (unasked) turn started the chain, then each asked
 *     session; empty for no chain
 * @param sentAt when each hop was sent: {@code sentAt.get(i)} is the ask from {@code path.get(i)} to {@code
 *     path.get(i + 1)}
 */
public record AskChain(String id, List<SessionKey> path, List<Instant> sentAt) {

  private static final AskChain NONE = new AskChain("", List.of(), List.of());

  public AskChain {
    Objects.requireNonNull(id, "id");
    path = List.copyOf(path);
    sentAt = List.copyOf(sentAt);
    if (path.isEmpty() ? !sentAt.isEmpty() : sentAt.size() != path.size() - 1) {
      throw new IllegalArgumentException("a chain has one send time per hop");
    }
  }

  /** No chain: a turn of a user's message. */
  public static AskChain none() {
    return NONE;
  }

  /** Whether this turn was started by an ask (or has asked: never, a chain value is the turn's start). */
  public boolean isNone() {
    return path.isEmpty();
  }

  /** Asks so far in the chain (0 for none). */
  public int hops() {
    return path.isEmpty() ? 0 : path.size() - 1;
  }

  /**
   * The chain after one more ask, from the last session of this chain (or {@code from}, starting chain {@code
   * newId}, if this is none) to {@code to}, sent at {@code at}.
   */
  public AskChain then(String newId, SessionKey from, SessionKey to, Instant at) {
    if (isNone()) return new AskChain(newId, List.of(from, to), List.of(at));
    List<SessionKey> p = new ArrayList<>(path);
    p.add(to);
    List<Instant> s = new ArrayList<>(sentAt);
    s.add(at);
    return new AskChain(id, p, s);
  }
}
