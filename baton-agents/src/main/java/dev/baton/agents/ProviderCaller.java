package dev.baton.agents;

import dev.baton.config.ProviderLimitsConfig;
import dev.baton.flow.ProviderLimitException;
import dev.baton.flow.ProviderLimiter;
import dev.baton.spi.Scheduler;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.model.output.TokenUsage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.TimeoutException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview: one chat request to the provider, with retries. 429, 5xx, timeouts and connection errors (refused,
 * reset, closed before the response, as the official OpenAI SDKs retry them) are retried with
 * exponential backoff while the backoff still ends before the turn's deadline; any other failure ends at
 * once. The backoff is a future completed by the injected Scheduler (STYLE 5), so tests drive it exactly.
 *
 * Concurrency: stateless apart from its immutable settings; any number of turns call it at once. call()
 * blocks the calling (virtual) thread; an interrupt during the HTTP exchange or the backoff stops both (the
 * JDK HttpClient cancels the exchange) and surfaces as InterruptedException.
 *
 * Streaming (P10): stream() sends the request with "stream": true through LangChain4j's StreamingChatModel
 * (which assembles tool-call fragments by index and reads usage from the last chunk) and hands each text delta
 * on as it arrives, on the HTTP client's thread. The same retry rules hold until the first text reached the
 * user; after that a failure ends the call (a retry would show the start of the answer twice). An interrupt
 * (cancel, timeout) returns at once and cancels the stream through its StreamingHandle, which closes the
 * response body and with it the connection; a stream whose first chunk has not come yet is cancelled when it
 * comes (or ends at the request timeout).
 *
 * Flow control (docs/concurrency.md, "Flow control"): every attempt first waits in the ProviderLimiter shared
 * by the sessions that call this provider (requests and tokens per minute, within the turn's deadline; a refusal
 * ends the call with a sentence for the user). A 429 whose headers say when to retry (retry-after-ms,
 * Retry-After, x-ratelimit-reset-requests) pauses every caller of the provider until then (pauseUntil) and
 * this call's next attempt waits for the same instant in the limiter; a 429 that says nothing is retried with
 * the exponential backoff like a 5xx. The estimate charged to the token window is corrected with the usage.
 *
 * Failure: a ProviderException carries a sentence fit for a user and never the provider's body, which can
 * quote the API key ("Incorrect API key provided: sk-...").
 */
/** Calls the provider through LangChain4j, retrying 429/5xx/timeouts/connection errors within the turn's deadline. */
final class ProviderCaller {

  private static final Logger LOG = LoggerFactory.getLogger(ProviderCaller.class);

  private final ChatModel model;
  private final @Nullable StreamingChatModel streaming;
  private final Scheduler scheduler;
  private final int maxRetries;
  private final long initialBackoffMs;
  private final long maxBackoffMs;
  private final ProviderLimiter limiter;

  public ProviderCaller(ChatModel model, Scheduler scheduler, int maxRetries, long initialBackoffMs,
      long maxBackoffMs) {
    this(model, null, scheduler, maxRetries, initialBackoffMs, maxBackoffMs);
  }

  /** With {@code streaming} for {@link #stream} (null: no streaming), and a limiter of its own with no limits. */
  public ProviderCaller(ChatModel model, @Nullable StreamingChatModel streaming, Scheduler scheduler, int maxRetries,
      long initialBackoffMs, long maxBackoffMs) {
    this(model, streaming, scheduler, maxRetries, initialBackoffMs, maxBackoffMs, ProviderLimiter.create("provider",
        ProviderLimitsConfig.defaults(), scheduler, new SimpleMeterRegistry(), Optional.empty(), Optional.empty()));
  }

  /** Every attempt waits for {@code limiter} (shared by the sessions that call this provider). */
  public ProviderCaller(ChatModel model, @Nullable StreamingChatModel streaming, Scheduler scheduler, int maxRetries,
      long initialBackoffMs, long maxBackoffMs, ProviderLimiter limiter) {
    this.model = model;
    this.streaming = streaming;
    this.scheduler = scheduler;
    this.maxRetries = maxRetries;
    this.initialBackoffMs = initialBackoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.limiter = limiter;
  }

  /** The limiter every attempt waits for. */
  ProviderLimiter limiter() {
    return limiter;
  }

  /** A provider failure that ends the turn; {@link #getMessage()} is fit to show the user. */
  public static final class ProviderException extends Exception {
    public ProviderException(String userMessage) {
      super(userMessage, null, false, false);
    }
  }

  /**
   * Sends {@code request}, retrying as described above.
   *
   * @throws InterruptedException if the calling thread is interrupted (turn timeout, queue mode interrupt)
   * @throws ProviderException when the provider fails for good
   */
  public ChatResponse call(ChatRequest request, Instant deadline) throws InterruptedException, ProviderException {
    long estimate = estimateTokens(request);
    for (int attempt = 0; ; attempt++) {
      RuntimeException failure;
      ProviderLimiter.Permit permit = admit(estimate, deadline);
      try {
        ChatResponse r = model.chat(request);
        if (r == null || r.aiMessage() == null) {
          throw new ProviderException("The model provider sent a response without a message.");
        }
        used(permit, r);
        return r;
      } catch (RuntimeException e) {
        failure = e;
      }
      retryOrThrow(failure, attempt, deadline, true);
    }
  }

  /**
   * Sends {@code request} as a stream, handing each text delta to {@code onText} (on the HTTP client's thread, in
   * order) and returning the whole response (text, tool calls, usage) when the stream ends. Retries as
   * {@link #call} does while no text has been handed on.
   *
   * @throws InterruptedException if the calling thread is interrupted; the stream is cancelled
   * @throws ProviderException when the provider fails for good, or fails after text was handed on
   * @throws java.util.concurrent.CancellationException if {@code onText} threw it (the turn was cancelled)
   */
  public ChatResponse stream(ChatRequest request, Instant deadline, Consumer<String> onText)
      throws InterruptedException, ProviderException {
    StreamingChatModel s = streaming;
    if (s == null) throw new IllegalStateException("no streaming model");
    AtomicBoolean shown = new AtomicBoolean();
    long estimate = estimateTokens(request);
    for (int attempt = 0; ; attempt++) {
      RuntimeException failure;
      ProviderLimiter.Permit permit = admit(estimate, deadline);
      try {
        ChatResponse r = streamOnce(s, request, onText, shown);
        if (r == null || r.aiMessage() == null) {
          throw new ProviderException("The model provider sent a response without a message.");
        }
        used(permit, r);
        if (r.tokenUsage() != null) {
          LOG.debug("provider usage: {} prompt, {} completion tokens", r.tokenUsage().inputTokenCount(),
              r.tokenUsage().outputTokenCount());
        }
        return r;
      } catch (java.util.concurrent.CancellationException e) {
        throw e;
      } catch (RuntimeException e) {
        failure = e;
      }
      retryOrThrow(failure, attempt, deadline, !shown.get());
    }
  }

  /** Waits for the provider's capacity (limits, shared pause) within the deadline; a refusal ends the call. */
  private ProviderLimiter.Permit admit(long estimate, Instant deadline) throws InterruptedException, ProviderException {
    try {
      return limiter.acquire(estimate, deadline);
    } catch (ProviderLimitException e) {
      throw new ProviderException(String.valueOf(e.getMessage()));
    }
  }

  private static void used(ProviderLimiter.Permit permit, ChatResponse r) {
    TokenUsage u = r.tokenUsage();
    if (u != null && u.totalTokenCount() != null) permit.used(u.totalTokenCount());
  }

  /**
   * The tokens charged before the request is sent: its text's characters / 4 (the usual rule of thumb for
   * English with OpenAI's tokenizers), at least 1; the provider's usage corrects it when the response comes.
   */
  static long estimateTokens(ChatRequest request) {
    long chars = 0;
    for (ChatMessage m : request.messages()) chars += m.toString().length();
    return Math.max(1, chars / 4);
  }

  private static ChatResponse streamOnce(StreamingChatModel s, ChatRequest request, Consumer<String> onText,
      AtomicBoolean shown) throws InterruptedException {
    CompletableFuture<ChatResponse> done = new CompletableFuture<>();
    AtomicReference<@Nullable StreamingHandle> handle = new AtomicReference<>();
    AtomicBoolean abandoned = new AtomicBoolean();
    CancellableHttpClient.Call call = new CancellableHttpClient.Call();
    StreamingChatResponseHandler handler = new StreamingChatResponseHandler() {
      @Override
      public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
        StreamingHandle h = context.streamingHandle();
        handle.set(h);
        if (abandoned.get()) {
          h.cancel();
          return;
        }
        String text = partial.text();
        if (text == null || text.isEmpty()) return;
        try {
          onText.accept(text);
          shown.set(true);
        } catch (RuntimeException e) { // the turn is over (CancellationException) or the sink failed
          abandoned.set(true);
          h.cancel();
          done.completeExceptionally(e);
        }
      }

      @Override
      public void onPartialToolCall(PartialToolCall partial, PartialToolCallContext context) {
        handle.set(context.streamingHandle());
        if (abandoned.get()) context.streamingHandle().cancel();
      }

      @Override
      public void onCompleteResponse(ChatResponse response) {
        done.complete(response);
      }

      @Override
      public void onError(Throwable error) {
        done.completeExceptionally(error);
      }
    };
    ScopedValue.where(CancellableHttpClient.CALL, call).run(() -> s.chat(request, handler));
    try {
      ChatResponse r = done.get();
      if (r != null && r.finishReason() == null) {
        // No chunk said how the answer ended: the body was no stream at all, or it was cut short (every
        // chat-completions server ends a stream with a finish_reason before [DONE]).
        throw new NotAStream();
      }
      return r;
    } catch (InterruptedException e) {
      abandoned.set(true);
      call.cancel(); // cancels the exchange, or closes the body: the provider sees the connection go
      StreamingHandle h = handle.get();
      if (h != null) h.cancel();
      throw e;
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) throw re;
      throw new IllegalStateException(c);
    }
  }

  /** A 200 whose body ended without a finish reason: not a stream, or one cut short. */
  private static final class NotAStream extends RuntimeException {
    NotAStream() {
      super("not a chat-completions stream", null, false, false);
    }
  }

  /** Returns to retry after the backoff, or throws: the rules of {@link #call}, retrying only if {@code mayRetry}. */
  private void retryOrThrow(RuntimeException failure, int attempt, Instant deadline, boolean mayRetry)
      throws InterruptedException, ProviderException {
    if (Thread.interrupted() || causedBy(failure, InterruptedException.class)) {
      throw new InterruptedException("turn cancelled during the provider call");
    }
    int status = status(failure);
    if (!mayRetry) { // part of the answer was shown: a retry would show its start twice
      LOG.warn("provider stream failed after part of the answer was shown: {}", describe(failure, status));
      throw new ProviderException("The model provider stopped in the middle of the answer (" + label(failure, status)
          + "). Please try again.");
    }
    boolean retryable = status == 429 || status >= 500 || timedOut(failure) || connectionFailed(failure, status);
    if (!retryable) {
      LOG.warn("provider call failed: {}", describe(failure, status));
      throw new ProviderException(userMessage(failure, status));
    }
    if (attempt >= maxRetries) {
      LOG.warn("provider call failed after {} attempts: {}", attempt + 1, describe(failure, status));
      throw new ProviderException("The model provider is unavailable (" + label(failure, status)
          + ") and did not recover after " + (attempt + 1) + " attempts. Please try again later.");
    }
    Optional<Instant> retryAt = status == 429 ? retryAt(failure) : Optional.empty();
    if (retryAt.isPresent()) {
      // The provider said when: every caller of it waits for that one instant (the limiter's shared pause),
      // and this call's next attempt waits for it in the limiter like the others, instead of a guess of its own.
      limiter.pauseUntil(retryAt.get());
      if (retryAt.get().isAfter(deadline)) {
        LOG.warn("provider call failed (HTTP 429); the provider asked to wait until {}, past the turn's deadline",
            retryAt.get());
        throw new ProviderException("The model provider is rate limiting (HTTP 429) and asked to wait longer than"
            + " this turn may. Please try again later.");
      }
      LOG.info("provider call failed (HTTP 429), retry {} of {} when the provider's pause ends at {}", attempt + 1,
          maxRetries, retryAt.get());
      return;
    }
    long backoff = Math.min(maxBackoffMs, initialBackoffMs << Math.min(attempt, 30));
    if (scheduler.now().plusMillis(backoff).isAfter(deadline)) {
      LOG.warn("provider call failed ({}); no time left before the turn's deadline to retry", label(failure, status));
      throw new ProviderException("The model provider is unavailable (" + label(failure, status)
          + ") and the turn ran out of time to retry. Please try again later.");
    }
    LOG.info("provider call failed ({}), retry {} of {} in {} ms", label(failure, status), attempt + 1, maxRetries, backoff);
    pause(Duration.ofMillis(backoff));
  }

  private void pause(Duration d) throws InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Scheduler.Cancellable timer = scheduler.schedule(d, () -> done.complete(null));
    try {
      done.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      timer.cancel();
    }
  }

  /** The provider's time to retry, from the headers of the first ProviderHttpException in the chain. */
  private Optional<Instant> retryAt(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ProviderHttpException h) return h.retryAt(scheduler.now());
    }
    return Optional.empty();
  }

  private static int status(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof HttpException h) return h.statusCode();
    }
    return -1;
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) return true;
    }
    return false;
  }

  private static boolean timedOut(Throwable t) {
    return causedBy(t, TimeoutException.class) || causedBy(t, java.net.http.HttpTimeoutException.class);
  }

  /**
   * No HTTP answer because the connection failed: refused, reset, closed before the response (the HTTP/1.1
   * parser's EOF). The official OpenAI SDKs retry every such connection error (APIConnectionError). A response
   * that arrived but is no chat-completions JSON is not one (Jackson's exceptions are IOExceptions too).
   */
  private static boolean connectionFailed(Throwable t, int status) {
    return status < 0 && causedBy(t, java.io.IOException.class)
        && !causedBy(t, com.fasterxml.jackson.core.JacksonException.class);
  }

  private static String label(Throwable t, int status) {
    if (status > 0) return "HTTP " + status;
    if (causedBy(t, java.net.ConnectException.class)) return "connection refused";
    if (t instanceof NotAStream) return "the stream ended early";
    return timedOut(t) ? "timeout" : "connection lost";
  }

  // Class names and status only: messages of provider errors may quote the request or the key.
  private static String describe(Throwable t, int status) {
    StringBuilder b = new StringBuilder(status > 0 ? "HTTP " + status : "no HTTP status");
    for (Throwable c = t; c != null; c = c.getCause()) b.append(" <- ").append(c.getClass().getSimpleName());
    return b.toString();
  }

  private static String userMessage(Throwable t, int status) {
    if (status == 401 || status == 403) {
      return "The model provider refused the credentials (HTTP " + status + "). Check agent.openai.api_key.";
    }
    if (status == 404) {
      return "The model provider does not know this model or endpoint (HTTP 404). Check agent.openai.model and"
          + " agent.openai.base_url.";
    }
    if (status >= 400) return "The model provider rejected the request (HTTP " + status + ").";
    if (causedBy(t, com.fasterxml.jackson.core.JacksonException.class)) {
      return "The model provider sent a response that is not valid chat-completions JSON.";
    }
    if (t instanceof NotAStream) return "The model provider sent a response that is not a chat-completions stream.";
    if (causedBy(t, java.io.IOException.class)) return "The model provider could not be reached.";
    return "The model provider sent a response that Baton could not read.";
  }
}
