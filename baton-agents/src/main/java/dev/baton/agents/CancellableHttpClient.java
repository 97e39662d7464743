package dev.baton.agents;

import dev.langchain4j.exception.HttpException;
import dev.langchain4j.http.client.HttpClient;
import dev.langchain4j.http.client.HttpClientBuilder;
import dev.langchain4j.http.client.HttpRequest;
import dev.langchain4j.http.client.SuccessfulHttpResponse;
import dev.langchain4j.http.client.sse.ServerSentEventListener;
import dev.langchain4j.http.client.sse.ServerSentEventParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.jspecify.annotations.Nullable;

/*
 * Overview: LangChain4j's HTTP client for the openai agent's streams, with cancellation that reaches the
 * socket (P10). LangChain4j's JdkHttpClient starts a stream with HttpClient.sendAsync and keeps the future to
 * itself, so a stream can be cancelled only from inside its callbacks, i.e. not before the provider's first
 * chunk. Here the stream is the same sendAsync with BodyHandlers.ofInputStream and the same listener protocol
 * (onOpen, the parser's events, onClose; onError with an HttpException for a non-2xx status), but the request's
 * future and, once the headers came, its body stream are handed to the Call bound in CALL by the caller
 * (ProviderCaller), whose cancel() cancels the exchange (before the headers) or closes the body (after): either
 * way the JDK drops the connection. Requests that are not streams are sent as LangChain4j's JdkHttpClient sends
 * them. Either way a non-2xx status is a ProviderHttpException with the provider's retry headers (Retry-After),
 * which LangChain4j's exception mapper keeps as the cause of what it throws.
 *
 * Concurrency: thread-safe; the listener runs on the JDK client's executor. CALL is read on the thread that calls
 * execute (LangChain4j's streaming model calls it on the caller's thread).
 *
 * Failure: a non-2xx status is an HttpException with the body (ProviderCaller never shows it to users); an I/O
 * failure or a cancel reaches the listener's onError.
 */
/** A LangChain4j HttpClient whose streams a {@link Call} can cancel at any point. Thread-safe. */
final class CancellableHttpClient implements HttpClient {

  /** The stream being started on this thread, if the caller wants to be able to cancel it. */
  static final ScopedValue<Call> CALL = ScopedValue.newInstance();

  /** One stream's cancellation: the exchange's future, then its body. Thread-safe. */
  static final class Call {
    private @Nullable CompletableFuture<?> exchange;
    private @Nullable InputStream body;
    private boolean cancelled;

    synchronized void exchange(CompletableFuture<?> f) {
      exchange = f;
      if (cancelled) f.cancel(true);
    }

    /** Returns false if the call was cancelled already (the caller closes the body then). */
    synchronized boolean body(InputStream in) {
      body = in;
      return !cancelled;
    }

    /** Cancels the exchange, or closes the body if the headers came. Idempotent. */
    void cancel() {
      CompletableFuture<?> f;
      InputStream in;
      synchronized (this) {
        if (cancelled) return;
        cancelled = true;
        f = exchange;
        in = body;
      }
      if (f != null) f.cancel(true);
      if (in != null) {
        try {
          in.close();
        } catch (IOException ignored) {
          // closing is all we wanted
        }
      }
    }
  }

  private final java.net.http.HttpClient jdk;
  private final @Nullable Duration readTimeout;

  private CancellableHttpClient(Builder b) {
    java.net.http.HttpClient.Builder jb = java.net.http.HttpClient.newBuilder();
    if (b.connectTimeout != null) jb.connectTimeout(b.connectTimeout);
    this.jdk = jb.build();
    this.readTimeout = b.readTimeout;
  }

  static Builder builder() {
    return new Builder();
  }

  /**
   * A request that is not a stream, as LangChain4j's JdkHttpClient sends it (timeouts, interrupt and I/O failures
   * surface the same way), except that a non-2xx status is a {@link ProviderHttpException} that keeps the
   * provider's retry headers: the shared backoff after a 429 needs {@code Retry-After}.
   */
  @Override
  public SuccessfulHttpResponse execute(HttpRequest request) throws HttpException {
    java.net.http.HttpRequest.Builder rb = jdkRequest(request);
    io.opentelemetry.api.trace.Span span = ModelSpans.start("openai"); // null unless the turn is traced
    ModelSpans.http(span, request.method().name(), URI.create(request.url()), rb);
    HttpResponse<byte[]> response;
    try {
      response = jdk.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.net.http.HttpTimeoutException e) {
      ModelSpans.end(span, e);
      throw new dev.langchain4j.exception.TimeoutException(e);
    } catch (InterruptedException e) {
      ModelSpans.end(span, e);
      Thread.currentThread().interrupt();
      throw new RuntimeException(e);
    } catch (IOException e) {
      ModelSpans.end(span, e);
      throw new RuntimeException(e);
    }
    int status = response.statusCode();
    ModelSpans.status(span, status);
    ModelSpans.end(span, null);
    String text = new String(response.body(), StandardCharsets.UTF_8);
    if (status < 200 || status >= 300) throw ProviderHttpException.of(status, text, response.headers());
    return SuccessfulHttpResponse.builder().statusCode(status).headers(response.headers().map()).body(text).build();
  }

  private java.net.http.HttpRequest.Builder jdkRequest(HttpRequest request) {
    java.net.http.HttpRequest.Builder rb = java.net.http.HttpRequest.newBuilder(URI.create(request.url()));
    request.headers().forEach((name, values) -> values.forEach(v -> rb.header(name, v)));
    String body = request.body();
    rb.method(request.method().name(), body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
        : java.net.http.HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (readTimeout != null) rb.timeout(readTimeout);
    return rb;
  }

  @Override
  public void execute(HttpRequest request, ServerSentEventParser parser, ServerSentEventListener listener) {
    Call call = CALL.isBound() ? CALL.get() : new Call();
    java.net.http.HttpRequest.Builder rb = jdkRequest(request);
    io.opentelemetry.api.trace.Span span = ModelSpans.start("openai"); // null unless the turn is traced; ends with the stream
    ModelSpans.http(span, request.method().name(), URI.create(request.url()), rb);
    CompletableFuture<HttpResponse<InputStream>> f = jdk.sendAsync(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
    call.exchange(f);
    f.thenAccept(response -> {
      try (InputStream in = response.body()) {
        if (!call.body(in)) return;
        int status = response.statusCode();
        ModelSpans.status(span, status);
        if (status < 200 || status >= 300) {
          String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
          quietly(() -> listener.onError(ProviderHttpException.of(status, text, response.headers())));
          return;
        }
        SuccessfulHttpResponse open = SuccessfulHttpResponse.builder().statusCode(status)
            .headers(response.headers().map()).build();
        quietly(() -> listener.onOpen(open));
        parser.parse(in, listener);
        quietly(listener::onClose);
      } catch (IOException e) {
        quietly(() -> listener.onError(e));
      }
    }).exceptionally(t -> {
      Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
      quietly(() -> listener.onError(cause));
      return null;
    }).whenComplete((x, t) -> ModelSpans.end(span, null));
  }

  private static void quietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException ignored) {
      // a listener's failure must not stop the stream's clean-up (LangChain4j's clients do the same)
    }
  }

  /** Builds the client; LangChain4j's model builder sets the timeouts. Not thread-safe. */
  static final class Builder implements HttpClientBuilder {
    private @Nullable Duration connectTimeout;
    private @Nullable Duration readTimeout;

    @Override
    public @Nullable Duration connectTimeout() {
      return connectTimeout;
    }

    @Override
    public Builder connectTimeout(@Nullable Duration d) {
      connectTimeout = d;
      return this;
    }

    @Override
    public @Nullable Duration readTimeout() {
      return readTimeout;
    }

    @Override
    public Builder readTimeout(@Nullable Duration d) {
      readTimeout = d;
      return this;
    }

    @Override
    public HttpClient build() {
      return new CancellableHttpClient(this);
    }
  }
}
