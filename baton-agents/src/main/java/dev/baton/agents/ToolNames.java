package dev.baton.agents;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tool names as the provider accepts them. Baton's tools are named like {@code kv.upsert} or
 * {@code shared.ledger.append}, but OpenAI's chat-completions API only accepts function names matching
 * {@code ^[a-zA-Z0-9_-]{1,64}$}. Each name is mapped to a safe one ({@code kv_upsert}) for the provider and back
 * for the runtime. The mapping is deterministic, so history replayed in a later turn uses the same names.
 *
 * <p>Immutable; built per turn from the tools that turn may call.
 */
final class ToolNames {

  private final Map<String, String> toProvider = new HashMap<>();
  private final Map<String, String> toBaton = new HashMap<>();

  public ToolNames(List<String> batonNames) {
    for (String name : batonNames) {
      String safe = safe(name);
      String candidate = safe;
      for (int n = 2; toBaton.containsKey(candidate); n++) candidate = safe + "_" + n;
      toProvider.put(name, candidate);
      toBaton.put(candidate, name);
    }
  }

  /** The provider-safe form of a name (without collision suffixes). */
  public static String safe(String name) {
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length() && b.length() < 64; i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
      b.append(ok ? c : '_');
    }
    return b.isEmpty() ? "tool" : b.toString();
  }

  public String provider(String batonName) {
    return toProvider.getOrDefault(batonName, safe(batonName));
  }

  /** The runtime's name for a name the model used; an unknown name is passed on (the runtime says unknown_tool). */
  public String baton(String providerName) {
    return toBaton.getOrDefault(providerName, providerName);
  }
}
