package dev.baton.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A tool agents can call, written once and run by the tool runtime with locks (P5), idempotency (P6), a
 * timeout (P4) and deadlock detection (P8). See {@code docs/tools.md}.
 *
 * <p><b>Concurrency.</b> One instance serves every session and every call, concurrently: keep no per-call
 * state in fields. {@link #execute} runs on its own virtual thread with the turn's {@code BatonContext}
 * bound, after the runtime has taken the locks {@link #resources} declares; it must stop promptly when
 * interrupted (the call's timeout interrupts it). A tool that ignores interruption keeps its locks until it
 * really stops and is reported as stuck.
 */
public interface Tool {

  /** Unique name: lower case letters, digits, {@code . _ -}, starting with a letter (e.g. {@code shared.write}). */
  String name();

  /** What the tool does, for the LLM. */
  String description();

  /** JSON Schema of the arguments object (what LLM tool-calling APIs expect). */
  String inputSchema();

  /**
   * The resources a call with these arguments touches, taken before {@link #execute} in one global order
   * (sorted by key) and released when the call ends. Names must be canonical ({@link Resource#path}).
   *
   * @throws ToolException to refuse the arguments (e.g. {@code rejected_path}); nothing runs
   */
  default List<Resource> resources(JsonNode arguments, ToolContext context) {
    return List.of();
  }

  /**
   * The idempotency key derived from the arguments, used when the caller gives none. Derive one only if
   * running the call twice with equal arguments must have the effect of running it once AND a later call with
   * equal arguments may be answered with the earlier result (e.g. "charge order 42"); never for a plain
   * "write this content" (a write A, write B, write A sequence would replay the first A).
   */
  default Optional<String> idempotencyKey(JsonNode arguments) {
    return Optional.empty();
  }

  /** Overrides {@code agent.tool_call_timeout_ms} for this tool. */
  default Optional<Duration> timeout() {
    return Optional.empty();
  }

  /**
   * Runs the call.
   *
   * @return the result as a JSON value
   * @throws ToolException for an expected failure with a machine-readable code
   * @throws InterruptedException when interrupted (timeout or cancellation); the call then fails and nothing is
   *     recorded
   */
  JsonNode execute(JsonNode arguments, ToolContext context) throws Exception;
}
