package dev.baton.internal.engine;

import dev.baton.TurnContext;
import dev.baton.spi.LogText;
import org.slf4j.MDC;

/** Mirrors a {@link TurnContext} into the SLF4J MDC (P7) and restores what was there. Thread-confined. */
final class Mdc {

  static final String SESSION = "baton.session";
  static final String USER = "baton.user";
  static final String MESSAGES = "baton.messages";
  static final String TRACE = "baton.trace";
  private static final String[] KEYS = {SESSION, USER, MESSAGES, TRACE};

  private Mdc() {}

  /** Puts the context's keys; returns the previous values for {@link #restore}. */
  static String[] push(TurnContext ctx) {
    String[] saved = new String[KEYS.length];
    for (int i = 0; i < KEYS.length; i++) saved[i] = MDC.get(KEYS[i]);
    MDC.put(SESSION, ctx.session().value());
    // Client-supplied values: escaped, so a log pattern with %X cannot be made to print a forged line.
    MDC.put(USER, LogText.escape(ctx.user()));
    MDC.put(MESSAGES, LogText.escape(String.join(",", ctx.messageIds())));
    MDC.put(TRACE, ctx.traceId());
    return saved;
  }

  static void restore(String[] saved) {
    for (int i = 0; i < KEYS.length; i++) {
      if (saved[i] == null) MDC.remove(KEYS[i]);
      else MDC.put(KEYS[i], saved[i]);
    }
  }
}
