package dev.baton;

/**
 * Fails an {@code ask} that would take a chain of agents asking agents past {@code tools.ask_max_hops}, or
 * that repeats a cycle of agents within {@code tools.loop_window_ms} (with {@code tools.on_loop:
 * fail_newest}). Nothing was submitted. The message names the peers by the names the asking agent knows; the
 * operator's log line and the recent deadlocks list carry the whole chain. Asking again continues the same
 * chain and fails the same way.
 */
public class AskLoopException extends RuntimeException {

  public AskLoopException(String message) {
    super(message);
  }
}
