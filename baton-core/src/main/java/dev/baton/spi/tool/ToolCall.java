package dev.baton.spi.tool;

import java.util.Optional;

/**
 * A request to run a tool.
 *
 * @param tool the tool's name
 * @param argumentsJson the arguments as a JSON object
 * @param idempotencyKey a caller-given idempotency key; when empty, the tool derives one from the arguments
 *     (if it declares how) or the call is not deduplicated
 */
public record ToolCall(String tool, String argumentsJson, Optional<String> idempotencyKey) {

  public static ToolCall of(String tool, String argumentsJson) {
    return new ToolCall(tool, argumentsJson, Optional.empty());
  }
}
