package dev.baton.jdbc;

import dev.baton.OrderKey;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How values are written to columns: instants as epoch nanoseconds, routing maps as a form-encoded string,
 * string lists (a reply's {@code covers}) as URL-encoded items joined by commas.
 */
final class Codec {
  private Codec() {}

  private static final long NANOS = 1_000_000_000L;

  static long nanos(Instant t) {
    try {
      return Math.addExact(Math.multiplyExact(t.getEpochSecond(), NANOS), t.getNano());
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("instant outside the years 1677..2262 cannot be stored: " + t, e);
    }
  }

  static Instant instant(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, NANOS), Math.floorMod(nanos, NANOS));
  }

  /** {@code k=v&k=v}, keys sorted, both URL-encoded: unambiguous for any strings. */
  static String encodeMap(Map<String, String> map) {
    StringBuilder sb = new StringBuilder();
    for (var e : new TreeMap<>(map).entrySet()) {
      if (!sb.isEmpty()) sb.append('&');
      sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  static Map<String, String> decodeMap(String s) {
    if (s.isEmpty()) return Map.of();
    Map<String, String> m = new LinkedHashMap<>();
    for (String pair : s.split("&")) {
      int eq = pair.indexOf('=');
      m.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return m;
  }

  /** {@code a,b,c}, each item URL-encoded (so an item's own comma is {@code %2C}): unambiguous for any strings. */
  static String encodeList(List<String> items) {
    StringBuilder sb = new StringBuilder();
    for (String item : items) {
      if (!sb.isEmpty()) sb.append(',');
      sb.append(URLEncoder.encode(item, StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  /** The inverse of {@link #encodeList}; {@code ""} is the empty list. */
  static List<String> decodeList(String s) {
    if (s.isEmpty()) return List.of();
    List<String> out = new ArrayList<>();
    for (String item : s.split(",", -1)) out.add(URLDecoder.decode(item, StandardCharsets.UTF_8));
    return out;
  }

  static String orderKind(OrderKey k) {
    return switch (k) {
      case OrderKey.None n -> "none";
      case OrderKey.Sequence s -> "seq";
      case OrderKey.Monotonic m -> "mono";
    };
  }

  static long orderValue(OrderKey k) {
    return switch (k) {
      case OrderKey.None n -> 0;
      case OrderKey.Sequence s -> s.seq();
      case OrderKey.Monotonic m -> m.key();
    };
  }

  static OrderKey orderKey(String kind, long value) {
    return switch (kind) {
      case "seq" -> OrderKey.sequence(value);
      case "mono" -> OrderKey.monotonic(value);
      default -> OrderKey.none();
    };
  }
}
