package dev.baton;

/**
 * Thrown to the victim of a detected deadlock (P8): a tool call waiting for a lock, a turn waiting for
 * another session's reply ({@code ask}), or a turn waiting for a slot or permit held by its own waiters.
 * Its holdings have been released; the other parties of the cycle proceed. The message describes the cycle.
 */
public class DeadlockException extends RuntimeException {

  public DeadlockException(String cycleDescription) {
    super(cycleDescription);
  }
}
