package dev.baton.config;

import java.util.List;
import java.util.Objects;

/** {@code agent:} */
public record AgentConfig(
    @Doc("Which agent runs turns: `echo` or `context` (built in, the probe contract) or `openai` (an OpenAI-compatible endpoint).") String type,
    @Doc("Longest a turn may run before it is cancelled and answered with an error reply (ms).") long turnTimeoutMs,
    @Doc("Per-session and global limits on running turns, queues and overflow.") ConcurrencyConfig concurrency,
    @Doc("Longest one tool call may take, unless the tool overrides it (ms).") long toolCallTimeoutMs,
    @Doc("The wait-for graph that finds and breaks deadlocks (P8).") DeadlockDetectionConfig deadlockDetection,
    @Doc("The OpenAI-compatible endpoint of `type: openai`.") OpenAiConfig openai,
    @Doc("Message texts that cancel the sender's running turn instead of queueing (P10), compared after"
        + " trimming, in every queue mode; queued messages stay. Empty = none.") List<String> stopCommands,
    @Doc("Flow control: per-user message rate limits, daily token budgets, the model provider's limits.") RateLimitsConfig rateLimits) {

  public static final List<String> DEFAULT_STOP_COMMANDS = List.of("/stop");

  /** With the default {@code rate_limits}. */
  public AgentConfig(String type, long turnTimeoutMs, ConcurrencyConfig concurrency, long toolCallTimeoutMs,
      DeadlockDetectionConfig deadlockDetection, OpenAiConfig openai, List<String> stopCommands) {
    this(type, turnTimeoutMs, concurrency, toolCallTimeoutMs, deadlockDetection, openai, stopCommands,
        RateLimitsConfig.defaults());
  }

  /** With the default {@code stop_commands}. */
  public AgentConfig(String type, long turnTimeoutMs, ConcurrencyConfig concurrency, long toolCallTimeoutMs,
      DeadlockDetectionConfig deadlockDetection, OpenAiConfig openai) {
    this(type, turnTimeoutMs, concurrency, toolCallTimeoutMs, deadlockDetection, openai, DEFAULT_STOP_COMMANDS);
  }

  public AgentConfig {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(concurrency, "concurrency");
    Objects.requireNonNull(deadlockDetection, "deadlock_detection");
    Objects.requireNonNull(openai, "openai");
    Objects.requireNonNull(rateLimits, "rate_limits");
    stopCommands = List.copyOf(stopCommands);
    for (String c : stopCommands) {
      if (c.isBlank() || c.length() > 64) throw new IllegalArgumentException("stop_commands: each must have 1 to 64"
          + " non-blank characters");
    }
    if (type.isBlank()) throw new IllegalArgumentException("must not be blank");
    Checks.positive("turn_timeout_ms", turnTimeoutMs);
    Checks.positive("tool_call_timeout_ms", toolCallTimeoutMs);
  }

  public static AgentConfig defaults() {
    return new AgentConfig("echo", 120_000, ConcurrencyConfig.defaults(), 30_000, DeadlockDetectionConfig.defaults(),
        OpenAiConfig.defaults());
  }

  public AgentConfig withConcurrency(ConcurrencyConfig c) {
    return new AgentConfig(type, turnTimeoutMs, c, toolCallTimeoutMs, deadlockDetection, openai, stopCommands,
        rateLimits);
  }

  public AgentConfig withType(String t) {
    return new AgentConfig(t, turnTimeoutMs, concurrency, toolCallTimeoutMs, deadlockDetection, openai, stopCommands,
        rateLimits);
  }

  public AgentConfig withOpenai(OpenAiConfig o) {
    return new AgentConfig(type, turnTimeoutMs, concurrency, toolCallTimeoutMs, deadlockDetection, o, stopCommands,
        rateLimits);
  }

  public AgentConfig withRateLimits(RateLimitsConfig r) {
    return new AgentConfig(type, turnTimeoutMs, concurrency, toolCallTimeoutMs, deadlockDetection, openai, stopCommands,
        r);
  }

  public AgentConfig withTurnTimeoutMs(long ms) {
    return new AgentConfig(type, ms, concurrency, toolCallTimeoutMs, deadlockDetection, openai, stopCommands,
        rateLimits);
  }
}
