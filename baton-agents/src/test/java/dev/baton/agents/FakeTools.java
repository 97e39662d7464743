package dev.baton.agents;

import dev.baton.spi.tool.ToolCall;
import dev.baton.spi.tool.ToolResult;
import dev.baton.spi.tool.ToolSpec;
import dev.baton.spi.tool.Tools;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A stand-in for the tool runtime's per-turn {@link Tools}: named handlers, an idempotency store that can be
 * shared between turns (a re-run after a crash sees what the first run did), and a record of every batch
 * passed to {@link #callAll}. callAll runs each call on its own virtual thread, as the real runtime does.
 */
public final class FakeTools implements Tools {

  public final Map<String, ToolSpec> specs = new ConcurrentHashMap<>();
  public final Map<String, Function<String, ToolResult>> handlers = new ConcurrentHashMap<>();
  public final Map<String, CompletableFuture<ToolResult>> idempotency;
  public final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
  public final List<List<ToolCall>> batches = new CopyOnWriteArrayList<>();

  public FakeTools() {
    this(new ConcurrentHashMap<>());
  }

  public FakeTools(Map<String, CompletableFuture<ToolResult>> idempotency) {
    this.idempotency = idempotency;
  }

  public FakeTools tool(String name, String schema, Function<String, ToolResult> handler) {
    specs.put(name, new ToolSpec(name, "the " + name + " tool", schema));
    handlers.put(name, handler);
    return this;
  }

  public int executions(String tool) {
    AtomicInteger n = executions.get(tool);
    return n == null ? 0 : n.get();
  }

  @Override
  public List<ToolSpec> available() {
    return List.copyOf(specs.values());
  }

  @Override
  public ToolResult call(ToolCall call) {
    Function<String, ToolResult> h = handlers.get(call.tool());
    if (h == null) return new ToolResult.Failed("unknown_tool", call.tool());
    if (call.idempotencyKey().isEmpty()) return run(call, h);
    String key = call.tool() + "/" + call.idempotencyKey().get();
    CompletableFuture<ToolResult> mine = new CompletableFuture<>();
    CompletableFuture<ToolResult> first = idempotency.putIfAbsent(key, mine);
    if (first != null) {
      return first.join() instanceof ToolResult.Ok ok ? new ToolResult.Ok(ok.json(), true) : first.join();
    }
    ToolResult r = run(call, h);
    mine.complete(r);
    return r;
  }

  private ToolResult run(ToolCall call, Function<String, ToolResult> h) {
    executions.computeIfAbsent(call.tool(), k -> new AtomicInteger()).incrementAndGet();
    return h.apply(call.argumentsJson());
  }

  @Override
  public List<ToolResult> callAll(List<ToolCall> calls) throws InterruptedException {
    batches.add(List.copyOf(calls));
    List<CompletableFuture<ToolResult>> futures = new ArrayList<>();
    for (ToolCall c : calls) {
      CompletableFuture<ToolResult> f = new CompletableFuture<>();
      Thread.ofVirtual().start(() -> {
        try {
          f.complete(call(c));
        } catch (Throwable t) {
          f.completeExceptionally(t);
        }
      });
      futures.add(f);
    }
    List<ToolResult> out = new ArrayList<>();
    for (CompletableFuture<ToolResult> f : futures) {
      try {
        out.add(f.get());
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError(e.getCause());
      }
    }
    return out;
  }
}
