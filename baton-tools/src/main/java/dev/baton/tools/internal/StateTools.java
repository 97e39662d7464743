package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.tools.Access;
import dev.baton.tools.Resource;
import dev.baton.tools.Tool;
import dev.baton.tools.ToolContext;
import java.util.List;
import java.util.Optional;

/**
 * {@code kv.get} and {@code kv.upsert} on the turn's own session state (staged; commits with the turn). Each
 * key is a lock (shared to read, exclusive to write), so parallel calls of one turn do not lose updates.
 */
final class StateTools {
  private StateTools() {}

  static List<Tool> all(CallRunner runner) {
    return List.of(new Kv(false, runner), new Kv(true, runner));
  }

  private record Kv(boolean write, CallRunner runner) implements Tool {
    @Override
    public String name() {
      return write ? "kv.upsert" : "kv.get";
    }

    @Override
    public String description() {
      return write ? "Sets a value in this conversation's memory." : "Reads a value from this conversation's memory.";
    }

    @Override
    public String inputSchema() {
      return write
          ? "{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"},\"value\":{\"type\":\"string\"}},"
              + "\"required\":[\"key\",\"value\"],\"additionalProperties\":false}"
          : "{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\"}},\"required\":[\"key\"],"
              + "\"additionalProperties\":false}";
    }

    @Override
    public List<Resource> resources(JsonNode args, ToolContext ctx) {
      return List.of(Resource.of("kv", ctx.turn().session().value() + "/" + Args.string(args, "key"),
          write ? Access.EXCLUSIVE : Access.SHARED));
    }

    @Override
    public JsonNode execute(JsonNode args, ToolContext ctx) {
      String key = Args.string(args, "key");
      Optional<String> before = ctx.state().get(key);
      ObjectNode out = ctx.json().objectNode().put("key", key);
      if (write) {
        ctx.state().put(key, Args.string(args, "value"));
        out.put("previous", before.orElse(null));
      } else {
        out.put("value", before.orElse(null));
      }
      return out;
    }
  }
}
