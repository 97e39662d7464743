package dev.baton.deadlock;

/** What a waiter waits for. Only the kind of the edge; the resource is named by a string. */
public enum WaitKind {
  /** A tool call waits for a resource lock (shared or exclusive). */
  LOCK,
  /** A tool call ({@code ask}) waits for another session's reply. */
  ASK_REPLY,
  /** A turn (or a question waiting to run as one) waits for a slot of its session. */
  SESSION_SLOT,
  /** A turn waits for one of the global permits ({@code max_concurrent_total}). */
  GLOBAL_PERMIT,
  /** A repeated tool call waits for the first call with its idempotency key to finish (P6). */
  DUPLICATE_CALL,
  /** A turn waits for its own tool calls to end (not breakable: never chosen as victim). */
  OWN_CALLS,
  /**
   * A tool call waits for its tool's limit ({@code tools.limits.<name>}): a free slot ({@code max_concurrent},
   * blocked by the calls inside) or its start time ({@code calls_per_minute}, blocked by nobody).
   */
  TOOL_LIMIT,
  /**
   * A turn's model call waits for capacity of a model provider ({@code provider:<name>}: its rate limit or a
   * shared pause after a 429). No party of the graph holds a provider, so the edge has no blockers and closes
   * no cycle; it is there so that snapshots show who waits for the provider (P4 bounds the wait).
   */
  PROVIDER;

  /** {@code lock}, {@code ask_reply}, ... as written in logs and snapshots. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
