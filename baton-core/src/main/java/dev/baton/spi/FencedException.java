package dev.baton.spi;

/** A write carried a stale fencing token: another node owns the session now. Nothing was written. */
public final class FencedException extends StoreException {
  public FencedException(String message) {
    super(message);
  }
}
