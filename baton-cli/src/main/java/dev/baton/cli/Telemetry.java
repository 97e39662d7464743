package dev.baton.cli;

import dev.baton.config.TelemetryConfig;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.util.HashMap;
import java.util.Map;

/**
 * The OpenTelemetry SDK of {@code baton serve} (docs/tracing.md): built by the SDK's autoconfiguration from the
 * standard {@code OTEL_*} variables (and {@code otel.*} system properties), with {@code telemetry.otlp.endpoint}
 * overriding {@code otel.exporter.otlp.endpoint}, spans exported with OTLP/HTTP protobuf through the JDK's
 * HttpClient, {@code service.name} {@code baton} unless {@code OTEL_SERVICE_NAME} says otherwise, no metrics or
 * logs exported (Prometheus serves the metrics). Off (noop) unless the key or an OTLP endpoint variable is set;
 * {@code OTEL_SDK_DISABLED=true} turns it off. Never registered as {@code GlobalOpenTelemetry}.
 */
final class Telemetry {

  private Telemetry() {}

  /** Whether {@code serve} traces with {@code cfg} and the environment {@code env}. */
  static boolean wanted(TelemetryConfig cfg, Map<String, String> env) {
    if ("true".equalsIgnoreCase(env.getOrDefault("OTEL_SDK_DISABLED", ""))) return false;
    return cfg.enabled() || !env.getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "").isEmpty()
        || !env.getOrDefault("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").isEmpty();
  }

  /** The SDK for {@code cfg}, or {@link OpenTelemetry#noop()} when tracing is off. */
  static OpenTelemetry open(TelemetryConfig cfg, Map<String, String> env) {
    if (!wanted(cfg, env)) return OpenTelemetry.noop();
    return AutoConfiguredOpenTelemetrySdk.builder()
        .addPropertiesSupplier(() -> Map.of(
            "otel.service.name", "baton",
            "otel.traces.exporter", "otlp",
            "otel.exporter.otlp.protocol", "http/protobuf",
            "otel.metrics.exporter", "none",
            "otel.logs.exporter", "none"))
        .addPropertiesCustomizer(props -> {
          Map<String, String> over = new HashMap<>();
          if (cfg.enabled()) {
            over.put("otel.exporter.otlp.endpoint", cfg.otlp().endpoint());
            // The signal's own key is used as given and wins over the base one: set it too, so the config key also
            // overrides OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.
            over.put("otel.exporter.otlp.traces.endpoint", tracesUrl(cfg.otlp().endpoint()));
          }
          return over;
        })
        .build().getOpenTelemetrySdk();
  }

  /** {@code {endpoint}/v1/traces}, as the SDK derives it from a base endpoint. */
  static String tracesUrl(String endpoint) {
    return (endpoint.endsWith("/") ? endpoint : endpoint + "/") + "v1/traces";
  }

  /** Flushes and closes what {@link #open} built (nothing for noop). */
  static void close(OpenTelemetry otel) {
    if (otel instanceof OpenTelemetrySdk sdk) sdk.close();
  }
}
