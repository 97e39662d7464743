package dev.baton.config;

import java.util.Objects;

/** {@code agent:} */
public record AgentConfig(
    @Doc("Which agent runs turns: `echo` (built in) or `openai` (an OpenAI-compatible endpoint).") String type,
    @Doc("Longest a turn may run before it is cancelled and answered with an error reply (ms).") long turnTimeoutMs,
    @Doc("Per-session and global limits on running turns, queues and overflow.") ConcurrencyConfig concurrency,
    @Doc("Longest one tool call may take, unless the tool overrides it (ms).") long toolCallTimeoutMs,
    @Doc("The wait-for graph that finds and breaks deadlocks (P8).") DeadlockDetectionConfig deadlockDetection,
    @Doc("The OpenAI-compatible endpoint of `type: openai`.") OpenAiConfig openai) {

  public AgentConfig {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(concurrency, "concurrency");
    Objects.requireNonNull(deadlockDetection, "deadlock_detection");
    Objects.requireNonNull(openai, "openai");
    if (type.isBlank()) throw new IllegalArgumentException("must not be blank");
    Checks.positive("turn_timeout_ms", turnTimeoutMs);
    Checks.positive("tool_call_timeout_ms", toolCallTimeoutMs);
  }

  public static AgentConfig defaults() {
    return new AgentConfig("echo", 120_000, ConcurrencyConfig.defaults(), 30_000, DeadlockDetectionConfig.defaults(),
        OpenAiConfig.defaults());
  }

  public AgentConfig withConcurrency(ConcurrencyConfig c) {
    return new AgentConfig(type, turnTimeoutMs, c, toolCallTimeoutMs, deadlockDetection, openai);
  }

  public AgentConfig withType(String t) {
    return new AgentConfig(t, turnTimeoutMs, concurrency, toolCallTimeoutMs, deadlockDetection, openai);
  }

  public AgentConfig withOpenai(OpenAiConfig o) {
    return new AgentConfig(type, turnTimeoutMs, concurrency, toolCallTimeoutMs, deadlockDetection, o);
  }

  public AgentConfig withTurnTimeoutMs(long ms) {
    return new AgentConfig(type, ms, concurrency, toolCallTimeoutMs, deadlockDetection, openai);
  }
}
