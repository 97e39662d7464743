package dev.baton;

/** The default {@link Turn#openStream()}: buffers, stages on finish. Thread-safe. */
final class BufferedReplyStream implements ReplyStream {
  private final String id;
  private final java.util.function.Consumer<String> stage;
  private final StringBuilder text = new StringBuilder();
  private boolean finished;

  BufferedReplyStream(String id, java.util.function.Consumer<String> stage) {
    this.id = id;
    this.stage = stage;
  }

  @Override public String id() { return id; }

  @Override
  public synchronized void append(String t) {
    if (finished) throw new IllegalStateException("this stream is finished");
    text.append(java.util.Objects.requireNonNull(t, "text"));
  }

  @Override
  public synchronized void finish() {
    if (finished) throw new IllegalStateException("this stream is finished");
    finished = true;
    stage.accept(text.toString());
  }

  @Override public synchronized String text() { return text.toString(); }
}
