package dev.baton.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/** {@code telemetry:} OpenTelemetry tracing of the message path (docs/tracing.md). Off by default. */
public record TelemetryConfig(
    @Doc("Export spans with OTLP/HTTP (protobuf).") Otlp otlp) {

  public TelemetryConfig {
    Objects.requireNonNull(otlp, "otlp");
  }

  public static TelemetryConfig defaults() {
    return new TelemetryConfig(Otlp.defaults());
  }

  /** Whether `baton serve` traces (an endpoint is set here; the OTEL_* variables can turn it on too). */
  public boolean enabled() {
    return !otlp.endpoint().isEmpty();
  }

  /** {@code telemetry.otlp:} the OTLP/HTTP exporter. */
  public record Otlp(
      @Doc("Base URL of the OTLP/HTTP receiver, like `OTEL_EXPORTER_OTLP_ENDPOINT` (spans are posted to"
          + " `{endpoint}/v1/traces`); empty = tracing off unless the `OTEL_*` variables turn it on. Overrides"
          + " `OTEL_EXPORTER_OTLP_ENDPOINT`; every other `OTEL_*` variable applies.") String endpoint) {

    public Otlp {
      Objects.requireNonNull(endpoint, "endpoint");
      if (!endpoint.isEmpty()) {
        URI u;
        try {
          u = new URI(endpoint);
        } catch (URISyntaxException e) {
          throw new IllegalArgumentException("endpoint is not a URL: " + e.getReason());
        }
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
            || u.getRawQuery() != null || u.getRawFragment() != null) {
          throw new IllegalArgumentException("endpoint must be an http:// or https:// base URL with a host and"
              + " no query, e.g. http://localhost:4318");
        }
      }
    }

    public static Otlp defaults() {
      return new Otlp("");
    }
  }
}
