package dev.baton.tools;

/**
 * A tool's own, expected failure, turned into {@link dev.baton.spi.tool.ToolResult.Failed} with {@link #code()}.
 * A deterministic failure (bad input, not found, rule broken) is {@code retriable = false}: with an
 * idempotency key it is recorded and a repeat gets the same failure without running. A transient one
 * ({@code retriable = true}: a dependency was down) is not recorded, so a repeat runs again.
 */
public class ToolException extends RuntimeException {
  private final String code;
  private final boolean retriable;

  public ToolException(String code, String message, boolean retriable) {
    super(message, null, false, false);
    this.code = code;
    this.retriable = retriable;
  }

  /** A deterministic failure (recorded for idempotency). */
  public ToolException(String code, String message) {
    this(code, message, false);
  }

  public String code() {
    return code;
  }

  public boolean retriable() {
    return retriable;
  }
}
