package dev.baton.mcp.internal;

import dev.baton.config.McpConfig;
import dev.baton.tools.Tool;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Overview. Turns a started server's tools/list into Baton tools: names `<server>.<tool>` with the tool's name
 * lower-cased and every character outside [a-z0-9_-] made '_' (Baton's tool names; the agents map them to the
 * provider's safe names, e.g. files_write_file). A tool whose name collides after that, or is too long, is left
 * out with an ERROR line naming it. Lock rules are matched to tools here: a rule naming a tool the server does
 * not list stops start-up (a typo there would leave a writer unlocked).
 */
public final class ToolCatalog {
  private static final Logger log = LoggerFactory.getLogger(ToolCatalog.class);
  private static final Pattern BATON_NAME = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");

  private ToolCatalog() {}

  public static List<Tool> of(ServerConnection c) {
    List<McpSchema.Tool> listed = c.tools();
    Set<String> names = new HashSet<>();
    listed.forEach(t -> names.add(t.name()));
    Map<String, List<LockTemplate>> rules = new HashMap<>();
    List<McpConfig.LockRule> rs = c.config().resources();
    for (int i = 0; i < rs.size(); i++) {
      McpConfig.LockRule r = rs.get(i);
      if (!names.contains(r.tool())) {
        c.close();
        throw new IllegalStateException("tools.mcp.servers." + c.name() + ".resources[" + i + "]: server '" + c.name()
            + "' offers no tool '" + r.tool() + "' (it offers " + new java.util.TreeSet<>(names) + ")");
      }
      rules.computeIfAbsent(r.tool(), k -> new ArrayList<>()).add(new LockTemplate(r));
    }
    List<Tool> out = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    for (McpSchema.Tool t : listed) {
      String name = c.name() + "." + safe(t.name());
      if (!BATON_NAME.matcher(name).matches() || !taken.add(name)) {
        log.error("MCP server '{}': tool '{}' is left out: its Baton name '{}' is too long or taken by another"
            + " of its tools", c.name(), t.name(), name);
        continue;
      }
      out.add(new McpTool(name, t, rules.getOrDefault(t.name(), List.of()), c));
    }
    return out;
  }

  static String safe(String mcpName) {
    StringBuilder b = new StringBuilder();
    for (char ch : mcpName.toLowerCase(java.util.Locale.ROOT).toCharArray()) {
      b.append((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ? ch : '_');
    }
    return b.toString();
  }
}
