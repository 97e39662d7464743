package dev.baton.spi;

/** The life of a journaled message: received → queued → running → one terminal status. */
public enum MessageStatus {
  RECEIVED, QUEUED, RUNNING,
  DONE, FAILED, EXPIRED, DROPPED, SKIPPED;

  public boolean terminal() {
    return ordinal() >= DONE.ordinal();
  }
}
