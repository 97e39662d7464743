package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import dev.baton.tools.ToolException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Resources every session shares, to show contention: {@code shared.counter.add} (a read-modify-write of a
 * counter file) and {@code shared.ledger.append} / {@code shared.ledger.read} (numbered lines). Each takes an
 * exclusive lock on its counter or ledger, so concurrent updates are never lost. Kept under
 * {@code <workspace_root>/shared-state}, out of reach of the {@code shared.*} file tools.
 */
final class SharedTools {
  private SharedTools() {}

  static List<Tool> all(CallRunner runner) {
    return List.of(new Counter(runner), new LedgerAppend(runner), new LedgerRead(runner));
  }

  static Path state(CallRunner runner, String dir, String name) throws IOException {
    Path d = SafePaths.sharedStateFolder(runner.workspaceRoot()).resolve(dir);
    Files.createDirectories(d);
    return d.resolve(name);
  }

  private record Counter(CallRunner runner) implements Tool {
    public String name() {
      return "shared.counter.add";
    }

    public String description() {
      return "Adds delta to a counter shared by all conversations and returns its new value.";
    }

    public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"},\"delta\":{\"type\":\"integer\"}},"
          + "\"required\":[\"name\"],\"additionalProperties\":false}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("shared-counter", Args.name(args, "name"), Access.EXCLUSIVE));
    }

    public JsonNode execute(JsonNode args, ToolContext ctx) throws IOException {
      String name = Args.name(args, "name");
      long delta = Args.integer(args, "delta", 1);
      Path f = state(runner, "counters", name);
      long value = Files.exists(f) ? Long.parseLong(Files.readString(f).trim()) : 0;
      value = Math.addExact(value, delta);
      Path tmp = Files.createTempFile(f.getParent(), ".baton-", ".tmp");
      Files.writeString(tmp, Long.toString(value));
      Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return ctx.json().objectNode().put("name", name).put("value", value);
    }
  }

  private record LedgerAppend(CallRunner runner) implements Tool {
    public String name() {
      return "shared.ledger.append";
    }

    public String description() {
      return "Appends an entry to a ledger shared by all conversations; returns its line number.";
    }

    public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"ledger\":{\"type\":\"string\"},\"entry\":{\"type\":\"string\"}},"
          + "\"required\":[\"ledger\",\"entry\"],\"additionalProperties\":false}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("shared-ledger", Args.name(args, "ledger"), Access.EXCLUSIVE));
    }

    public JsonNode execute(JsonNode args, ToolContext ctx) throws IOException {
      String ledger = Args.name(args, "ledger");
      String entry = Args.string(args, "entry");
      if (entry.indexOf('\n') >= 0 || entry.indexOf('\r') >= 0) {
        throw new ToolException("invalid_arguments", "'entry' must be one line");
      }
      Path f = state(runner, "ledgers", ledger);
      long line = Files.exists(f) ? Files.readAllLines(f).size() + 1 : 1;
      // No session key in a resource every session can read (P1): the entry is all that is shared.
      Files.writeString(f, line + "\t" + entry + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      return ctx.json().objectNode().put("ledger", ledger).put("line", line);
    }
  }

  private record LedgerRead(CallRunner runner) implements Tool {
    public String name() {
      return "shared.ledger.read";
    }

    public String description() {
      return "Reads every entry of a shared ledger.";
    }

    public String inputSchema() {
      return "{\"type\":\"object\",\"properties\":{\"ledger\":{\"type\":\"string\"}},\"required\":[\"ledger\"],"
          + "\"additionalProperties\":false}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("shared-ledger", Args.name(args, "ledger"), Access.SHARED));
    }

    public JsonNode execute(JsonNode args, ToolContext ctx) throws IOException {
      Path f = state(runner, "ledgers", Args.name(args, "ledger"));
      ObjectNode out = ctx.json().objectNode();
      var arr = out.putArray("entries");
      if (Files.exists(f)) for (String l : Files.readAllLines(f)) arr.add(l);
      return out;
    }
  }
}
