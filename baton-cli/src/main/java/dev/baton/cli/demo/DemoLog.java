package dev.baton.cli.demo;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.LoggerFactory;

/*
 * Overview: while the demo runs, what the engine and gateway log — the gaps, expiries, busy sessions and refused
 * attacks the demo provokes on purpose — goes to a file that the report names, not between the progress lines.
 * The root logger's appenders (the console) are detached for the run and put back by close(); the level stays
 * what the user chose (warnings by default, -v for more). Events are written with baton-cli's console pattern.
 *
 * Concurrency: events arrive on any thread; logback's appenders are thread-safe and the counters atomic.
 * open()/close() are called by the command's thread only.
 */
final class DemoLog implements AutoCloseable {

  private final Logger root;
  private final Path file;
  private final List<Appender<ILoggingEvent>> detached = new ArrayList<>();
  private final FileAppender<ILoggingEvent> out;
  private final AppenderBase<ILoggingEvent> counter;
  private final AtomicLong warnings = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();

  private DemoLog(LoggerContext ctx, Path file) {
    this.root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    this.file = file;
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{30} %msg%n%nopex");
    encoder.start();
    out = new FileAppender<>();
    out.setContext(ctx);
    out.setName("baton-demo-log");
    out.setFile(file.toString());
    out.setAppend(false);
    out.setEncoder(encoder);
    out.start();
    counter = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        if (e.getLevel().isGreaterOrEqual(Level.ERROR)) errors.incrementAndGet();
        else if (e.getLevel().isGreaterOrEqual(Level.WARN)) warnings.incrementAndGet();
      }
    };
    counter.setContext(ctx);
    counter.setName("baton-demo-log-count");
    counter.start();
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) detached.add(it.next());
    for (Appender<ILoggingEvent> a : detached) root.detachAppender(a);
    root.addAppender(out);
    root.addAppender(counter);
  }

  /** Sends the log to {@code file} (created or emptied) until close(); empty when the backend is not logback. */
  static Optional<DemoLog> open(Path file) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) return Optional.empty();
    DemoLog log = new DemoLog(ctx, file);
    if (!log.out.isStarted()) { // the file could not be opened: logback said why on its status; keep the console
      log.close();
      throw new IllegalArgumentException("cannot write the demo's log file " + file);
    }
    return Optional.of(log);
  }

  Path file() {
    return file;
  }

  long warnings() {
    return warnings.get();
  }

  long errors() {
    return errors.get();
  }

  /** One line for the end of the report. */
  String summary() {
    return "the engine's log (" + warnings() + " warnings, " + errors() + " errors): " + file;
  }

  @Override
  public void close() {
    root.detachAppender(out);
    root.detachAppender(counter);
    for (Appender<ILoggingEvent> a : detached) root.addAppender(a);
    out.stop();
    counter.stop();
  }
}
