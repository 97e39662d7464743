package dev.baton.tools.internal;

/** A lock wait ran out of the call's time (P4). The call then fails with {@code timeout}. */
public final class LockTimeoutException extends Exception {
  public LockTimeoutException(String message) {
    super(message, null, false, false);
  }
}
