package dev.baton.tools.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.baton.tools.ToolException;

/** Reading tool arguments with clear {@code invalid_arguments} errors. */
final class Args {
  static final int MAX_TEXT = 1 << 20;

  private Args() {}

  static String string(JsonNode args, String name) {
    JsonNode v = args.get(name);
    if (v == null || !v.isTextual()) throw new ToolException("invalid_arguments", "'" + name + "' must be a string");
    if (v.textValue().length() > MAX_TEXT) throw new ToolException("invalid_arguments", "'" + name + "' is longer than 1 MiB");
    return v.textValue();
  }

  static String stringOr(JsonNode args, String name, String fallback) {
    return args.has(name) ? string(args, name) : fallback;
  }

  static long integer(JsonNode args, String name, long fallback) {
    JsonNode v = args.get(name);
    if (v == null) return fallback;
    if (!v.canConvertToLong() || !v.isIntegralNumber()) {
      throw new ToolException("invalid_arguments", "'" + name + "' must be an integer");
    }
    return v.longValue();
  }

  static String name(JsonNode args, String field) {
    String s = string(args, field);
    if (!s.matches("[A-Za-z0-9_.-]{1,64}") || s.startsWith(".")) {
      throw new ToolException("invalid_arguments", "'" + field + "' must be 1-64 of A-Z a-z 0-9 _ . - (not starting with '.')");
    }
    return s;
  }
}
