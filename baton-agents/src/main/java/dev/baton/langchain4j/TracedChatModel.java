package dev.baton.langchain4j;

import dev.baton.agents.ModelSpans;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.opentelemetry.api.trace.Span;
import java.util.List;
import java.util.Set;

/**
 * The application's chat model with a span per call (docs/tracing.md: "chat", a child of the turn's span) when
 * the turn is traced; otherwise just the model. Everything else is the delegate's (its listeners run inside its
 * own {@code chat}). Thread-safe as the delegate is.
 */
final class TracedChatModel implements ChatModel {

  private final ChatModel delegate;

  TracedChatModel(ChatModel delegate) {
    this.delegate = delegate;
  }

  @Override
  public ChatResponse chat(ChatRequest request) {
    Span span = ModelSpans.start("langchain4j");
    if (span == null) return delegate.chat(request);
    try (var s = span.makeCurrent()) {
      ChatResponse r = delegate.chat(request);
      ModelSpans.end(span, null);
      return r;
    } catch (RuntimeException | Error e) {
      ModelSpans.end(span, e);
      throw e;
    }
  }

  @Override
  public ChatRequestParameters defaultRequestParameters() {
    return delegate.defaultRequestParameters();
  }

  @Override
  public List<ChatModelListener> listeners() {
    return delegate.listeners();
  }

  @Override
  public ModelProvider provider() {
    return delegate.provider();
  }

  @Override
  public Set<Capability> supportedCapabilities() {
    return delegate.supportedCapabilities();
  }
}
