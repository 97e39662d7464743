package dev.baton.tools;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/** Tools that count their side effects, block on latches and take locks in a given order. */
final class TestTools {
  private TestTools() {}

  abstract static class Base implements Tool {
    private final String name;

    Base(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String description() {
      return name;
    }

    @Override
    public String inputSchema() {
      return "{\"type\":\"object\"}";
    }
  }

  /** Counts executions; optionally blocks on {@link #gate} first; fails as told by {@code fail}/{@code retriable}. */
  static final class Effect extends Base {
    final AtomicInteger runs = new AtomicInteger();
    volatile CountDownLatch gate = new CountDownLatch(0);
    final CountDownLatch started = new CountDownLatch(1);

    Effect() {
      super("effect");
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      started.countDown();
      gate.await();
      int n = runs.incrementAndGet();
      if (args.has("fail")) throw new ToolException(args.get("fail").asText(), "told to fail", args.path("retriable").asBoolean());
      return ctx.json().objectNode().put("run", n).put("charged", args.path("amount").asInt());
    }
  }

  /** Holds an exclusive lock on {@code lock} and blocks; cooperative or deaf to interruption. */
  static final class Blocker extends Base {
    final CountDownLatch started = new CountDownLatch(1);
    final CountDownLatch letGo = new CountDownLatch(1);
    final CountDownLatch stopped = new CountDownLatch(1);
    final AtomicInteger interrupts = new AtomicInteger();

    Blocker() {
      super("block");
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.path("test", args.get("lock").asText(), Access.EXCLUSIVE));
    }

    @Override
    public java.util.Optional<java.time.Duration> timeout() {
      return java.util.Optional.of(java.time.Duration.ofMillis(1_000));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      started.countDown();
      try {
        if (args.path("cooperative").asBoolean()) {
          letGo.await();
        } else {
          while (true) {
            try {
              letGo.await();
              break;
            } catch (InterruptedException ignored) {
              interrupts.incrementAndGet(); // a badly written tool: swallows the interruption
            }
          }
        }
        return ctx.json().objectNode();
      } finally {
        stopped.countDown();
      }
    }
  }

  /** Takes nested locks in the order given, pausing after the first until the test says go. */
  static final class LockChain extends Base {
    final Map<String, CountDownLatch> holdingFirst = new ConcurrentHashMap<>();
    final Map<String, CountDownLatch> goOn = new ConcurrentHashMap<>();

    LockChain() {
      super("chain");
    }

    CountDownLatch holding(String id) {
      return holdingFirst.computeIfAbsent(id, k -> new CountDownLatch(1));
    }

    CountDownLatch go(String id) {
      return goOn.computeIfAbsent(id, k -> new CountDownLatch(1));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) throws InterruptedException {
      String id = args.get("id").asText();
      ctx.lock(Resource.path("res", args.get("first").asText(), Access.EXCLUSIVE));
      holding(id).countDown();
      go(id).await();
      ctx.lock(Resource.path("res", args.get("second").asText(), Access.EXCLUSIVE));
      return ctx.json().objectNode().put("id", id);
    }
  }
}
