package dev.baton.langchain4j;

import dev.baton.BatonContext;
import dev.baton.TurnContext;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.CompleteToolCall;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.PartialThinkingContext;
import dev.langchain4j.model.chat.response.PartialToolCall;
import dev.langchain4j.model.chat.response.PartialToolCallContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/*
 * Overview: a StreamingChatModel that carries the calling turn into its callbacks (P7). A streaming model
 * answers on its HTTP client's threads, and AiServices runs the @Tool calls of a streamed response and the next
 * model request from those callbacks, where no ScopedValue of the turn is bound: memory (BatonChatMemoryStore)
 * and tools (LangChain4jTools) would find no turn. This wrapper captures BatonContext.CURRENT and
 * TurnScope.CURRENT when chat() is called and binds them around every callback; a request started from a callback
 * captures them again from there, so the whole chain of rounds runs for its own turn.
 *
 * Concurrency: stateless apart from the delegate; the bindings of one call live in its handler and end with each
 * callback.
 */
/** Binds the turn's context around the callbacks of a streaming model. Thread-safe. */
final class TurnBoundStreamingModel implements StreamingChatModel {

  private final StreamingChatModel delegate;

  TurnBoundStreamingModel(StreamingChatModel delegate) {
    this.delegate = delegate;
  }

  @Override
  public void chat(ChatRequest request, StreamingChatResponseHandler handler) {
    delegate.chat(request, bound(handler));
  }

  @Override
  public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
    delegate.doChat(request, bound(handler));
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

  private static StreamingChatResponseHandler bound(StreamingChatResponseHandler h) {
    @Nullable TurnContext context = BatonContext.CURRENT.isBound() ? BatonContext.CURRENT.get() : null;
    @Nullable TurnScope scope = TurnScope.CURRENT.isBound() ? TurnScope.CURRENT.get() : null;
    ScopedValue.Carrier c;
    if (context != null && scope != null) {
      c = ScopedValue.where(BatonContext.CURRENT, context).where(TurnScope.CURRENT, scope);
    } else if (context != null) {
      c = ScopedValue.where(BatonContext.CURRENT, context);
    } else if (scope != null) {
      c = ScopedValue.where(TurnScope.CURRENT, scope);
    } else {
      return h;
    }
    return new StreamingChatResponseHandler() {
      @Override public void onPartialResponse(String text) { c.run(() -> h.onPartialResponse(text)); }
      @Override public void onPartialResponse(PartialResponse p, PartialResponseContext x) {
        c.run(() -> h.onPartialResponse(p, x));
      }
      @Override public void onPartialThinking(PartialThinking p) { c.run(() -> h.onPartialThinking(p)); }
      @Override public void onPartialThinking(PartialThinking p, PartialThinkingContext x) {
        c.run(() -> h.onPartialThinking(p, x));
      }
      @Override public void onPartialToolCall(PartialToolCall p) { c.run(() -> h.onPartialToolCall(p)); }
      @Override public void onPartialToolCall(PartialToolCall p, PartialToolCallContext x) {
        c.run(() -> h.onPartialToolCall(p, x));
      }
      @Override public void onCompleteToolCall(CompleteToolCall t) { c.run(() -> h.onCompleteToolCall(t)); }
      @Override public void onUnmappedRawEvent(Object e) { c.run(() -> h.onUnmappedRawEvent(e)); }
      @Override public void onCompleteResponse(ChatResponse r) { c.run(() -> h.onCompleteResponse(r)); }
      @Override public void onError(Throwable t) { c.run(() -> h.onError(t)); }
    };
  }
}
