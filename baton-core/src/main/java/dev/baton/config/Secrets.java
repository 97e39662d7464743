package dev.baton.config;

/** Masks secrets in {@code toString} so that no log line shows one. */
final class Secrets {
  private Secrets() {}

  static String mask(String secret) {
    return secret.isEmpty() ? "" : "***";
  }
}
