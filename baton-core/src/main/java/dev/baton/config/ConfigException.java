package dev.baton.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration file that cannot be used: malformed YAML, unknown keys, wrong types, impossible values or
 * missing environment variables. Carries every problem found, not just the first, each with its
 * {@code file:line:column}. Neither the message nor the errors contain secret values.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(render(errors), null, false, false);
    if (errors.isEmpty()) throw new IllegalArgumentException("a ConfigException needs at least one error");
    this.errors = List.copyOf(errors);
  }

  /** Every problem found, in file order. */
  public List<ConfigError> errors() {
    return errors;
  }

  private static String render(List<ConfigError> errors) {
    return errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
  }
}
