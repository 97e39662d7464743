package dev.baton.spi;

/** A store could not do what was asked; nothing of the operation happened. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
