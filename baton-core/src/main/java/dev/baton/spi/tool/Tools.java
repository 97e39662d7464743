package dev.baton.spi.tool;

import java.util.List;

/**
 * The tools one turn may call, bound to that turn's session (P1): nothing here takes a session id. Obtained
 * from {@link dev.baton.Turn#tools()}.
 *
 * <p><b>Concurrency.</b> {@link #call} blocks the calling (virtual) thread until the call ends. {@link #callAll}
 * runs the calls in parallel, each on a virtual thread that carries the turn's context (P7), and returns
 * their results in the order of the calls. Waits are bounded by the call's timeout (P4).
 */
public interface Tools {

  /** The tools available, with their JSON Schemas (what LLM tool-calling APIs expect). */
  List<ToolSpec> available();

  /** Runs one call. Failures are results ({@link ToolResult.Failed}), not exceptions. */
  ToolResult call(ToolCall call) throws InterruptedException;

  /** Runs calls in parallel and returns their results in call order. */
  List<ToolResult> callAll(List<ToolCall> calls) throws InterruptedException;

  /** No tools. */
  static Tools none() {
    return NoTools.INSTANCE;
  }
}
