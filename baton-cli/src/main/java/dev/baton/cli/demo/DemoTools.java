package dev.baton.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The tools scenario's own tools: one that counts its side effects, one that takes two locks in turn. */
final class DemoTools {
  private DemoTools() {}

  /** {@code demo.effect}: a side effect counted per id (run twice = executed twice). */
  static final class Effect implements Tool {
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    public String name() {
      return "demo.effect";
    }

    public String description() {
      return "A side effect the demo counts.";
    }

    public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},\"required\":[\"id\"]}";
    }

    public JsonNode execute(JsonNode args, ToolContext ctx) {
      int n = runs.computeIfAbsent(args.get("id").asText(), k -> new AtomicInteger()).incrementAndGet();
      return ctx.json().objectNode().put("runs", n);
    }
  }

  /**
   * {@code demo.swap}: locks {@code first}, waits until the other call of its {@code pair} holds its own first
   * lock, then locks {@code second}. Two calls with crossed names deadlock, on purpose.
   */
  static final class Swap implements Tool {
    private final Map<String, CountDownLatch> pairs = new ConcurrentHashMap<>();

    public String name() {
      return "demo.swap";
    }

    public String description() {
      return "Takes two resources one after the other (to show a lock cycle).";
    }

    public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"pair\":{\"type\":\"string\"},\"first\":{\"type\":\"string\"},"
          + "\"second\":{\"type\":\"string\"}},\"required\":[\"pair\",\"first\",\"second\"]}";
    }

    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      ctx.lock(Resource.of("demo-account", args.get("first").asText(), Access.EXCLUSIVE));
      CountDownLatch both = pairs.computeIfAbsent(args.get("pair").asText(), k -> new CountDownLatch(2));
      both.countDown();
      if (!both.await(ToolsAgent.MEET_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
        throw new ToolException("no_partner", "the other call of the pair never came", true);
      }
      ctx.lock(Resource.of("demo-account", args.get("second").asText(), Access.EXCLUSIVE));
      return ctx.json().objectNode().put("swapped", true);
    }
  }
}
