package dev.baton.cli.demo;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows how far a run is. {@link #bar} redraws one line with {@code \r} (for a terminal); {@link #lines}
 * prints a line at every tenth (for logs and pipes). Called from one reporting thread.
 */
public interface Progress {

  void update(long done, long total);

  default void finish(long done, long total) {
    update(done, total);
  }

  static Progress none() {
    return (d, t) -> {};
  }

  /** A redrawn bar on a terminal. */
  static Progress bar(PrintStream out) {
    return new Progress() {
      @Override
      public void update(long done, long total) {
        int width = 40;
        int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
        out.print(String.format(Locale.ROOT, "\r  [%s%s] %3d%%  %,d/%,d messages", "#".repeat(filled),
            ".".repeat(width - filled), total == 0 ? 100 : done * 100 / total, done, total));
        out.flush();
      }

      @Override
      public void finish(long done, long total) {
        update(done, total);
        out.println();
      }
    };
  }

  /** One line per tenth, for output that is not a terminal. */
  static Progress lines(PrintStream out) {
    return new Progress() {
      long lastTenth = -1;

      @Override
      public void update(long done, long total) {
        long tenth = total == 0 ? 10 : done * 10 / total;
        if (tenth != lastTenth) {
          lastTenth = tenth;
          out.println(String.format(Locale.ROOT, "demo: %d%% (%,d/%,d messages resolved)", tenth * 10, done, total));
        }
      }
    };
  }
}
