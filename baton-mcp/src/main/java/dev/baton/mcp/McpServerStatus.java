package dev.baton.mcp;

/** What one configured MCP server is doing now (admin views, tests). Thread-safe reads. */
public interface McpServerStatus {
  /** Its key in {@code tools.mcp.servers}. */
  String name();

  /** Whether a session with it is live (false while it restarts). */
  boolean running();

  /** How many times it was restarted after dying or hanging. */
  long restarts();

  /** Whether a health ping (sent after a call timed out or failed) is still unanswered. */
  boolean checking();

  /** The process id of a running stdio server, else -1. */
  long pid();
}
