package dev.baton.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.baton.Baton;
import dev.baton.InboundMessage;
import dev.baton.Reply;
import dev.baton.agents.testing.ScriptedChatServer;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The LangChain4j agent's model call is a "chat" span below the turn's span, in the message's one trace. */
class LangChain4jTracingTest {

  interface Assistant {
    String chat(String message);
  }

  @Test
  void theModelCallIsAChatSpanBelowTheTurn() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (ScriptedChatServer server = ScriptedChatServer.start();
        OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(
            SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build()) {
      server.enqueue(ScriptedChatServer.answer("hello back"));
      OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("k").modelName("m")
          .maxRetries(0).build();
      LangChain4jAgent<Assistant> agent = LangChain4jAgent.builder(Assistant.class).chatModel(model)
          .answer(Assistant::chat).build();
      BlockingQueue<Reply> replies = new LinkedBlockingQueue<>();
      try (Baton baton = Baton.builder().agent(agent).replies(replies::add).openTelemetry(otel).build()) {
        baton.submit(InboundMessage.of("api", "m-1", "ann", "hello", Instant.now()));
        assertThat(replies.poll(20, TimeUnit.SECONDS)).isNotNull().extracting(Reply::text).isEqualTo("hello back");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (spans.getFinishedSpanItems().stream().noneMatch(s -> s.getName().equals("baton.turn"))
            && System.nanoTime() < until) {
          Thread.onSpinWait();
        }
      }
      List<SpanData> all = spans.getFinishedSpanItems();
      SpanData turn = all.stream().filter(s -> s.getName().equals("baton.turn")).findFirst().orElseThrow();
      assertThat(all).filteredOn(s -> s.getName().equals("chat")).singleElement().satisfies(c -> {
        assertThat(c.getTraceId()).isEqualTo(turn.getTraceId());
        assertThat(c.getParentSpanId()).isEqualTo(turn.getSpanId());
        assertThat(c.getAttributes().asMap().values()).extracting(String::valueOf).contains("langchain4j");
      });
    }
  }
}
