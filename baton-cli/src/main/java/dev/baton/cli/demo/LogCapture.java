package dev.baton.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/*
 * Overview: captures what the server writes to its log while an attack runs, formatted with the pattern of
 * baton-cli's logback.xml (one event = "%d %-5level %logger{30} %msg%n"), so the log-forging check reads the
 * log text exactly as an operator (or a log shipper splitting on newlines) would.
 *
 * While installed, the root logger is at INFO at least (what a production `baton serve -v` writes); the events
 * the root's own appenders would have written anyway are still passed on to them, except the attack's own lines
 * (those that carry the attacker's marker), so the demo's stderr is not littered with the forged text.
 *
 * Concurrency: events arrive on any thread; the list is synchronized. install()/close() are called by the
 * scenario's thread only.
 */
final class LogCapture implements AutoCloseable {

  /** The pattern of baton-cli's logback.xml. */
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{30} %msg%n";

  private final Logger root;
  private final Level before;
  private final List<Appender<ILoggingEvent>> passOn = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();
  private final AppenderBase<ILoggingEvent> capture;

  private LogCapture(LoggerContext ctx, String hideMarker) {
    this.root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    this.before = root.getLevel() == null ? Level.WARN : root.getLevel();
    PatternLayout layout = new PatternLayout();
    layout.setContext(ctx);
    layout.setPattern(PATTERN);
    layout.start();
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) passOn.add(it.next());
    capture = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        String text = layout.doLayout(e);
        synchronized (lines) {
          lines.add(text);
        }
        if (e.getLevel().isGreaterOrEqual(before) && !text.contains(hideMarker)) {
          for (Appender<ILoggingEvent> a : passOn) a.doAppend(e);
        }
      }
    };
    capture.setContext(ctx);
    capture.setName("baton-demo-hostile-capture");
    capture.start();
    for (Appender<ILoggingEvent> a : passOn) root.detachAppender(a);
    root.addAppender(capture);
    if (before.isGreaterOrEqual(Level.INFO)) root.setLevel(Level.INFO);
  }

  /** Starts capturing, when the SLF4J backend is logback (it is in baton-cli); empty otherwise. */
  static Optional<LogCapture> install(String hideMarker) {
    return LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx
        ? Optional.of(new LogCapture(ctx, hideMarker)) : Optional.empty();
  }

  /** The log text written so far: every event formatted, concatenated (events end with a newline). */
  String text() {
    synchronized (lines) {
      return String.join("", lines);
    }
  }

  /** The formatted events written so far, one string per event. */
  List<String> events() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  @Override
  public void close() {
    root.setLevel(before);
    root.detachAppender(capture);
    for (Appender<ILoggingEvent> a : passOn) root.addAppender(a);
    capture.stop();
  }
}
