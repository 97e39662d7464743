package dev.baton.config;

import java.util.Objects;

/**
 * {@code agent.openai:} — the OpenAI-compatible chat-completions endpoint used by {@code agent.type: openai}
 * (OpenAI, Ollama, vLLM, LM Studio, ...). The API key comes from the environment ({@code ${OPENAI_API_KEY}})
 * and is never part of {@link #toString()}.
 */
public record OpenAiConfig(
    @Doc("Base URL of the chat-completions API, up to and including `/v1` (e.g. `http://localhost:11434/v1`"
        + " for Ollama).") String baseUrl,
    @Doc("Model name sent with every request.") String model,
    @Secret @Doc("API key; write `${OPENAI_API_KEY}` so it comes from the environment. Empty for servers without"
        + " authentication. Never logged.") String apiKey,
    @Doc("System prompt sent first in every request; empty for none.") String systemPrompt,
    @Doc("Sampling temperature, 0 to 2.") double temperature,
    @Doc("Most rounds of tool calls in one turn; then the turn ends with a reply that says so.")
        int maxToolRounds,
    @Doc("Most transcript entries sent to the model as history (the oldest are left out).")
        int maxHistoryEntries,
    @Doc("Longest one HTTP request to the provider may take (ms).") long requestTimeoutMs,
    @Doc("How many times a request that failed with 429, 5xx, a timeout or a connection error is retried (within the turn's deadline).")
        int maxRetries,
    @Doc("Backoff before the first retry (ms); it doubles on every retry.") long retryInitialBackoffMs,
    @Doc("Longest backoff between two retries (ms).") long retryMaxBackoffMs,
    @Doc("Stream the model's answer (`\"stream\": true` chat completions over SSE; P10): the user sees it as it"
        + " is written. `false` for providers without streaming: one request, one final reply.") boolean stream) {

  /** With {@code stream: true}. */
  public OpenAiConfig(String baseUrl, String model, String apiKey, String systemPrompt, double temperature,
      int maxToolRounds, int maxHistoryEntries, long requestTimeoutMs, int maxRetries, long retryInitialBackoffMs,
      long retryMaxBackoffMs) {
    this(baseUrl, model, apiKey, systemPrompt, temperature, maxToolRounds, maxHistoryEntries, requestTimeoutMs,
        maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, true);
  }

  public OpenAiConfig {
    Objects.requireNonNull(baseUrl, "base_url");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(apiKey, "api_key");
    Objects.requireNonNull(systemPrompt, "system_prompt");
    if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
      throw new IllegalArgumentException("base_url must start with http:// or https://, was '" + baseUrl + "'");
    }
    if (model.isBlank()) throw new IllegalArgumentException("model must not be blank");
    if (!(temperature >= 0 && temperature <= 2)) {
      throw new IllegalArgumentException("temperature must be between 0 and 2, was " + temperature);
    }
    Checks.positive("max_tool_rounds", maxToolRounds);
    Checks.positive("max_history_entries", maxHistoryEntries);
    Checks.positive("request_timeout_ms", requestTimeoutMs);
    Checks.nonNegative("max_retries", maxRetries);
    Checks.positive("retry_initial_backoff_ms", retryInitialBackoffMs);
    Checks.positive("retry_max_backoff_ms", retryMaxBackoffMs);
    if (retryMaxBackoffMs < retryInitialBackoffMs) {
      throw new IllegalArgumentException("retry_max_backoff_ms (" + retryMaxBackoffMs
          + ") must not be less than retry_initial_backoff_ms (" + retryInitialBackoffMs + ")");
    }
  }

  public static OpenAiConfig defaults() {
    return new OpenAiConfig("https://api.openai.com/v1", "gpt-4o-mini", "", "You are a helpful assistant.",
        0.2, 8, 100, 60_000, 3, 500, 8_000);
  }

  public OpenAiConfig withBaseUrl(String url) {
    return new OpenAiConfig(url, model, apiKey, systemPrompt, temperature, maxToolRounds, maxHistoryEntries,
        requestTimeoutMs, maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, stream);
  }

  public OpenAiConfig withModel(String m) {
    return new OpenAiConfig(baseUrl, m, apiKey, systemPrompt, temperature, maxToolRounds, maxHistoryEntries,
        requestTimeoutMs, maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, stream);
  }

  public OpenAiConfig withApiKey(String key) {
    return new OpenAiConfig(baseUrl, model, key, systemPrompt, temperature, maxToolRounds, maxHistoryEntries,
        requestTimeoutMs, maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, stream);
  }

  public OpenAiConfig withSystemPrompt(String prompt) {
    return new OpenAiConfig(baseUrl, model, apiKey, prompt, temperature, maxToolRounds, maxHistoryEntries,
        requestTimeoutMs, maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, stream);
  }

  public OpenAiConfig withMaxToolRounds(int rounds) {
    return new OpenAiConfig(baseUrl, model, apiKey, systemPrompt, temperature, rounds, maxHistoryEntries,
        requestTimeoutMs, maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, stream);
  }

  public OpenAiConfig withRetries(int retries, long initialBackoffMs, long maxBackoffMs) {
    return new OpenAiConfig(baseUrl, model, apiKey, systemPrompt, temperature, maxToolRounds, maxHistoryEntries,
        requestTimeoutMs, retries, initialBackoffMs, maxBackoffMs, stream);
  }

  public OpenAiConfig withStream(boolean on) {
    return new OpenAiConfig(baseUrl, model, apiKey, systemPrompt, temperature, maxToolRounds, maxHistoryEntries,
        requestTimeoutMs, maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, on);
  }

  public OpenAiConfig withRequestTimeoutMs(long ms) {
    return new OpenAiConfig(baseUrl, model, apiKey, systemPrompt, temperature, maxToolRounds, maxHistoryEntries,
        ms, maxRetries, retryInitialBackoffMs, retryMaxBackoffMs, stream);
  }

  /** Everything but the API key, which shows only whether it is set. */
  @Override
  public String toString() {
    return "OpenAiConfig[baseUrl=" + baseUrl + ", model=" + model + ", apiKey=" + (apiKey.isEmpty() ? "" : "***")
        + ", systemPrompt=" + systemPrompt + ", temperature=" + temperature + ", maxToolRounds=" + maxToolRounds
        + ", maxHistoryEntries=" + maxHistoryEntries + ", requestTimeoutMs=" + requestTimeoutMs
        + ", maxRetries=" + maxRetries + ", retryInitialBackoffMs=" + retryInitialBackoffMs
        + ", retryMaxBackoffMs=" + retryMaxBackoffMs + ", stream=" + stream + "]";
  }
}
