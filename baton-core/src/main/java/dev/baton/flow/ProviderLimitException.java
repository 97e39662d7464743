package dev.baton.flow;

import java.time.Instant;

/**
 * A model call refused by the provider limiter because its capacity would not come before the turn's deadline
 * (P4: refused at once rather than waiting past it). {@link #getMessage()} is fit to show the user.
 */
public final class ProviderLimitException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Instant earliest;

  public ProviderLimitException(String userMessage, Instant earliest) {
    super(userMessage, null, false, false);
    this.earliest = earliest;
  }

  /** The earliest instant the call could have started (past the deadline). */
  public Instant earliest() {
    return earliest;
  }
}
