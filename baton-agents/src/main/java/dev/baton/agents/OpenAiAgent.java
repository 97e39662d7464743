package dev.baton.agents;

import dev.baton.Agent;
import dev.baton.DeadlockException;
import dev.baton.ReplyStream;
import dev.baton.Transcript.Role;
import dev.baton.Turn;
import dev.baton.agents.ProviderCaller.ProviderException;
import dev.baton.agents.internal.IdempotencyKeys;
import dev.baton.config.OpenAiConfig;
import dev.baton.config.ProviderLimitsConfig;
import dev.baton.flow.ProviderLimiter;
import dev.baton.spi.AgentEnvironment;
import dev.baton.spi.Scheduler;
import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/*
 * Overview: the agent loop of `agent.type: openai`. A turn sends the system prompt, the session transcript
 * (its conversation, P1) and the turn's messages with the tools of the tool runtime; while the model asks
 * for tools, the calls of one response run in parallel through Turn.tools().callAll (locks, idempotency,
 * timeouts, deadlock detection) and their results go back to the model; the loop ends with the model's
 * answer or, after max_tool_rounds rounds, with a reply that says so.
 *   Streaming (agent.openai.stream, default true; P10): each model request is a stream, and its text goes to
 *   one ReplyStream of the turn as it arrives (opened at the first text; the texts of several rounds are
 *   separated by a blank line); the turn's reply is that stream's whole text. Steer: after each tool round,
 *   before the next request, the messages steered into the turn (Turn.takeSteered) join the conversation.
 *
 * Concurrency: one instance serves every session; it keeps no per-session state (Agent's contract). onTurn
 * blocks its virtual thread on the HTTP call and on callAll; an interrupt (turn timeout, queue mode
 * interrupt, cancel) cancels the HTTP exchange or closes the provider's stream and propagates as
 * InterruptedException. Stream deltas are appended on the HTTP client's thread (ReplyStream is thread-safe).
 *
 * Budget (agent.rate_limits.tokens_per_user_per_day): before each model request the turn's TokenBudget is
 * asked (spent: the turn ends with its message and no request), after each response its usage.total_tokens
 * is recorded; the engine checks the same budget before the turn starts.
 *
 * Failure: provider failures become an error reply (Reply.Kind.ERROR) in plain words (no stack trace, no body,
 * no key), committed with the turn so the user's message stays in the transcript (after part of a streamed
 * answer was shown, the sentence is appended to that stream instead, so the user's one message says it); tool failures
 * (timeout, deadlock victim, tool error) go back to the model as error results so it can adapt.
 */
/** An agent that talks to any OpenAI-compatible chat-completions endpoint and calls Baton tools. */
public final class OpenAiAgent implements Agent {

  /** The reply when the model answers with no text and no tool call. */
  static final String EMPTY_ANSWER = "The model returned an empty answer. Please rephrase or try again.";

  private final OpenAiConfig config;
  private final ProviderCaller provider;
  private final boolean streams;

  OpenAiAgent(OpenAiConfig config, ChatModel model, Scheduler scheduler) {
    this(config, model, null, scheduler);
  }

  /** With {@code streaming} used for every request when {@code config.stream()} (null: never streams). */
  OpenAiAgent(OpenAiConfig config, ChatModel model, @Nullable StreamingChatModel streaming, Scheduler scheduler) {
    this(config, model, streaming, scheduler, ProviderLimiter.create(providerName(config), ProviderLimitsConfig.defaults(),
        scheduler, new SimpleMeterRegistry(), Optional.empty(), Optional.empty()));
  }

  /** With {@code limiter} shared by every session this agent serves (flow control of the provider). */
  OpenAiAgent(OpenAiConfig config, ChatModel model, @Nullable StreamingChatModel streaming, Scheduler scheduler,
      ProviderLimiter limiter) {
    this.config = config;
    this.streams = config.stream() && streaming != null;
    this.provider = new ProviderCaller(model, streaming, scheduler, config.maxRetries(),
        config.retryInitialBackoffMs(), config.retryMaxBackoffMs(), limiter);
  }

  /** The provider's name in meters, logs and the wait-for graph: the host (and port) of {@code base_url}. */
  static String providerName(OpenAiConfig config) {
    try {
      java.net.URI u = java.net.URI.create(config.baseUrl());
      String host = u.getHost() == null ? config.baseUrl() : u.getHost();
      return u.getPort() < 0 ? host : host + ":" + u.getPort();
    } catch (IllegalArgumentException e) {
      return "openai";
    }
  }

  /** The limiter every model call of this agent waits for. */
  ProviderLimiter limiter() {
    return provider.limiter();
  }

  /** An agent for {@code config}, with time and backoff from {@code scheduler}, and no provider limits. */
  public static OpenAiAgent create(OpenAiConfig config, Scheduler scheduler) {
    return create(config, ProviderLimitsConfig.defaults(), new AgentEnvironment(scheduler, new SimpleMeterRegistry(),
        Optional.empty(), Optional.empty()));
  }

  /**
   * An agent for {@code config} whose model calls share one limiter with {@code limits} (every session of the
   * process; every node through {@code env.providerQuota()} in cluster mode), timed by {@code env.scheduler()}.
   */
  public static OpenAiAgent create(OpenAiConfig config, ProviderLimitsConfig limits, AgentEnvironment env) {
    Scheduler scheduler = env.scheduler();
    ProviderLimiter limiter = ProviderLimiter.create(providerName(config), limits, scheduler, env.meters(),
        env.waitGraph(), env.providerQuota());
    OpenAiChatModel.OpenAiChatModelBuilder b = OpenAiChatModel.builder()
        .httpClientBuilder(CancellableHttpClient.builder()) // keeps Retry-After of a 429 (the shared backoff)
        .baseUrl(config.baseUrl())
        .modelName(config.model())
        .temperature(config.temperature())
        .timeout(Duration.ofMillis(config.requestTimeoutMs()))
        .maxRetries(0) // retries are ours: bounded by the turn's deadline and timed by the injected scheduler
        .logRequests(false)
        .logResponses(false);
    // Servers without authentication (Ollama, vLLM) accept any key; LangChain4j requires a non-empty one.
    String key = config.apiKey().isEmpty() ? "none" : config.apiKey();
    b.apiKey(key);
    StreamingChatModel streaming = !config.stream() ? null : OpenAiStreamingChatModel.builder()
        .baseUrl(config.baseUrl())
        .modelName(config.model())
        .temperature(config.temperature())
        .timeout(Duration.ofMillis(config.requestTimeoutMs()))
        .apiKey(key)
        .httpClientBuilder(CancellableHttpClient.builder()) // a cancel reaches the socket, also before the first chunk
        .logRequests(false)
        .logResponses(false)
        .build();
    return new OpenAiAgent(config, b.build(), streaming, scheduler, limiter);
  }

  /** The turn's one ReplyStream, opened at the first text. Thread-safe (appended from the HTTP client's thread). */
  private static final class Shown {
    private final Turn turn;
    private @Nullable ReplyStream stream;
    private boolean roundHasText;

    Shown(Turn turn) {
      this.turn = turn;
    }

    /** A new model round: its first text is set off from the previous round's by a blank line. */
    synchronized void newRound() {
      roundHasText = false;
    }

    synchronized void text(String t) {
      ReplyStream s = stream;
      if (s == null) {
        s = turn.openStream();
        stream = s;
      } else if (!roundHasText && !s.text().isEmpty()) {
        s.append("\n\n");
      }
      roundHasText = true;
      s.append(t);
    }

    synchronized boolean any() {
      return stream != null;
    }

    /** Ends the turn's answer with {@code last} (appended if text was shown, else the turn's reply). */
    synchronized void end(String last, boolean error) {
      ReplyStream s = stream;
      if (s == null) {
        if (error) turn.replyError(last);
        else turn.reply(last);
        return;
      }
      if (!last.isEmpty()) {
        if (!s.text().isEmpty()) s.append("\n\n");
        s.append(last);
      }
      s.finish();
    }
  }

  @Override
  public void onTurn(Turn turn) throws InterruptedException {
    List<ChatMessage> messages = new ArrayList<>();
    if (!config.systemPrompt().isBlank()) messages.add(SystemMessage.from(config.systemPrompt()));
    messages.addAll(Conversation.history(turn.transcript().entries(), config.maxHistoryEntries()));
    for (Turn.Message m : turn.messages()) {
      messages.add(UserMessage.from(m.text()));
      turn.transcript().append(Role.USER, m.text());
    }
    List<dev.baton.spi.tool.ToolSpec> available = turn.tools().available();
    ToolNames names = new ToolNames(available.stream().map(dev.baton.spi.tool.ToolSpec::name).toList());
    List<ToolSpecification> tools = ToolSchemas.toSpecifications(available, names);
    List<String> messageIds = turn.messages().stream().map(Turn.Message::id).toList();

    Shown shown = new Shown(turn);
    for (int round = 0; ; round++) {
      ChatRequest.Builder request = ChatRequest.builder().messages(messages);
      if (!tools.isEmpty()) request.toolSpecifications(tools);
      if (turn.budget().spent()) { // the user's daily tokens ran out during this turn: no further model call
        shown.end(turn.budget().message(), false);
        return;
      }
      ChatResponse response;
      boolean streamedRound = false;
      ChatRequest built = request.build();
      try {
        if (streams) {
          shown.newRound();
          response = provider.stream(built, turn.deadline(), shown::text);
          streamedRound = true;
        } else {
          response = provider.call(built, turn.deadline());
        }
      } catch (ProviderException e) {
        chargeCutShort(turn, built, shown);
        shown.end(String.valueOf(e.getMessage()), true);
        return;
      } catch (InterruptedException e) { // cancelled or timed out, perhaps in the middle of a stream
        chargeCutShort(turn, built, shown);
        throw e;
      }
      recordUsage(turn, response);
      AiMessage ai = response.aiMessage();
      if (!ai.hasToolExecutionRequests()) {
        String text = ai.text() == null ? "" : ai.text();
        turn.transcript().append(Role.ASSISTANT, text);
        if (streamedRound && shown.any()) shown.end(text.isBlank() ? EMPTY_ANSWER : "", false);
        else shown.end(text.isBlank() ? EMPTY_ANSWER : text, false);
        return;
      }
      if (round >= config.maxToolRounds()) {
        String text = "I stopped after " + config.maxToolRounds() + " rounds of tool calls without reaching an"
            + " answer. Please narrow the request or try again.";
        turn.transcript().append(Role.ASSISTANT, text);
        shown.end(text, false);
        return;
      }
      messages.add(ai);
      if (ai.text() != null && !ai.text().isBlank()) turn.transcript().append(Role.ASSISTANT, ai.text());
      runTools(turn, names, messageIds, round, ai.toolExecutionRequests(), messages);
      for (Turn.Message m : turn.takeSteered()) { // steer (P10): they are part of this turn from here on
        messages.add(UserMessage.from(m.text()));
        turn.transcript().append(Role.USER, m.text());
      }
    }
  }

  /**
   * A streamed answer cut short after it showed text (the provider failed mid-stream, the turn was cancelled or
   * timed out) reports no usage, yet the provider did the work: the request's estimate is charged to the budget,
   * so cancelling every answer just before its end is no way around the daily limit.
   */
  private void chargeCutShort(Turn turn, ChatRequest request, Shown shown) {
    if (streams && shown.any()) turn.budget().record(ProviderCaller.estimateTokens(request));
  }

  /** Reports the provider's {@code usage.total_tokens} to the user's daily budget (none reported: nothing). */
  private static void recordUsage(Turn turn, ChatResponse response) {
    TokenUsage usage = response.tokenUsage();
    Integer total = usage == null ? null : usage.totalTokenCount();
    if (total != null) turn.budget().record(total);
  }

  private static void runTools(Turn turn, ToolNames names, List<String> messageIds, int round,
      List<ToolExecutionRequest> requests, List<ChatMessage> messages) throws InterruptedException {
    List<ToolCall> calls = new ArrayList<>(requests.size());
    Map<String, Integer> seen = new HashMap<>();
    for (ToolExecutionRequest r : requests) {
      String args = r.arguments() == null || r.arguments().isBlank() ? "{}" : r.arguments();
      String tool = names.baton(r.name());
      int occurrence = seen.merge(tool + '\u0000' + args, 1, Integer::sum) - 1;
      String key = IdempotencyKeys.forCall(messageIds, "", round, tool, args, occurrence);
      calls.add(new ToolCall(tool, args, Optional.of(key)));
    }
    List<ToolResult> results;
    try {
      results = turn.tools().callAll(calls);
    } catch (DeadlockException e) {
      // The runtime reports victims as results; this covers a runtime that throws instead.
      results = calls.stream().map(c -> (ToolResult) new ToolResult.Failed("deadlock", String.valueOf(e.getMessage()))).toList();
    }
    for (int i = 0; i < requests.size(); i++) {
      ToolExecutionRequest r = requests.get(i);
      ToolResult result = i < results.size() ? results.get(i)
          : new ToolResult.Failed("tool_error", "the tool runtime returned no result for this call");
      boolean error = result instanceof ToolResult.Failed;
      String text = switch (result) {
        case ToolResult.Ok ok -> ok.json();
        case ToolResult.Failed f -> errorJson(f);
      };
      messages.add(ToolExecutionResultMessage.builder().id(r.id()).toolName(r.name()).text(text).isError(error)
          .build());
      turn.transcript().append(Role.TOOL,
          Conversation.toolEntry(round, r.id(), calls.get(i).tool(), calls.get(i).argumentsJson(), text, error));
    }
  }

  private static String errorJson(ToolResult.Failed f) {
    var n = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    n.putObject("error").put("code", f.code()).put("message", f.message());
    return n.toString();
  }
}
