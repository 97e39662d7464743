package dev.baton.spring.boot;

import dev.baton.config.ConfigError;
import dev.baton.config.ConfigException;
import java.util.stream.Collectors;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints Baton's configuration errors ({@code file:line:column: message}, one a line) when the app fails to start. */
public final class BatonConfigFailureAnalyzer extends AbstractFailureAnalyzer<ConfigException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, ConfigException cause) {
    String errors = cause.errors().stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
    return new FailureAnalysis("Baton's configuration (the baton.* keys) is invalid:\n" + errors,
        "Fix the keys named above; docs/configuration.md lists every key and its allowed values.", cause);
  }
}
