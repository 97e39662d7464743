package dev.baton.config;

import java.util.Objects;

/**
 * One problem in a configuration file, at a place a person can go to: {@code file:line:column: message}.
 * Lines and columns count from 1. The message is one sentence that says what is allowed; it never contains
 * the value of an environment variable (secrets), only its name.
 *
 * @param file the file as the user named it (or a label such as {@code <string>})
 * @param line 1-based line
 * @param column 1-based column
 * @param message what is wrong and what is allowed
 */
public record ConfigError(String file, int line, int column, String message) {

  public ConfigError {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return file + ":" + line + ":" + column + ": " + message;
  }
}
