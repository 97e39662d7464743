package dev.baton.spi.tool;

/** The result of a tool call. */
public sealed interface ToolResult {

  /** The call succeeded; {@code json} is its result. {@code replayed} when it came from the idempotency store. */
  record Ok(String json, boolean replayed) implements ToolResult {
    public Ok(String json) {
      this(json, false);
    }
  }

  /**
   * The call failed. {@code code} is machine-readable: {@code invalid_arguments}, {@code unknown_tool},
   * {@code timeout}, {@code deadlock}, {@code rejected_path}, {@code conflict}, {@code tool_error}, ...
   */
  record Failed(String code, String message) implements ToolResult {}
}
