package dev.baton.spi;

/** A turn's compared state changed before it committed; nothing was written and the turn may run again. */
public final class ConflictException extends StoreException {
  public ConflictException(String message) {
    super(message);
  }
}
