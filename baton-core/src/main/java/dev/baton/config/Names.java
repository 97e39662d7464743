package dev.baton.config;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** Key spelling: record component names to YAML keys, and "did you mean" suggestions. */
final class Names {
  private Names() {}

  /** {@code maxConcurrentPerSession} to {@code max_concurrent_per_session}. */
  static String snake(String camel) {
    StringBuilder b = new StringBuilder(camel.length() + 8);
    for (int i = 0; i < camel.length(); i++) {
      char c = camel.charAt(i);
      if (Character.isUpperCase(c)) {
        boolean afterLower = i > 0 && !Character.isUpperCase(camel.charAt(i - 1));
        boolean acronymEnd = i > 0 && i + 1 < camel.length() && Character.isUpperCase(camel.charAt(i - 1))
            && Character.isLowerCase(camel.charAt(i + 1));
        if (afterLower || acronymEnd) b.append('_');
        b.append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** An enum constant as it is written in YAML: {@code RETURN_BUSY_MESSAGE} to {@code return_busy_message}. */
  static String enumValue(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /** The closest candidate, if it is close enough to be a plausible typo of {@code given}. */
  static Optional<String> closest(String given, Collection<String> candidates) {
    String norm = normalise(given);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      if (normalise(c).equals(norm)) return Optional.of(c); // maxQueue, max-queue, MAX_QUEUE
      if (norm.length() >= 4 && normalise(c).startsWith(norm)) return Optional.of(c); // return_busy
      int d = levenshtein(given.toLowerCase(Locale.ROOT), c);
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    if (best == null) return Optional.empty();
    int allowed = Math.max(2, Math.min(given.length(), best.length()) / 3);
    return bestDistance <= allowed ? Optional.of(best) : Optional.empty();
  }

  private static String normalise(String s) {
    return s.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
  }

  static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
