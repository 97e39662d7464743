package dev.baton.gateway.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.baton.spi.BatonJson;
import java.io.IOException;
import java.util.Optional;

/**
 * Request bodies read with {@link BatonJson#MAPPER}'s strict limits (one JSON object, else 400), the typed
 * field accessors every payload parser uses (a missing or mistyped field is a 400 that names it), and the
 * compact JSON the handlers answer with.
 */
final class JsonFields {

  private JsonFields() {}

  /** Parses a JSON object; anything else (malformed, empty, an array, trailing data) is a 400. */
  public static ObjectNode object(byte[] body) {
    JsonNode node;
    try {
      node = BatonJson.MAPPER.readTree(body);
    } catch (IOException e) {
      throw HttpError.badRequest("body is not valid JSON");
    }
    if (node == null || !node.isObject()) throw HttpError.badRequest("body must be a JSON object");
    return (ObjectNode) node;
  }

  public static ObjectNode newObject() {
    return BatonJson.MAPPER.createObjectNode();
  }

  public static byte[] bytes(JsonNode node) {
    try {
      return BatonJson.MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }

  public static byte[] error(String code, String message) {
    ObjectNode root = newObject();
    root.putObject("error").put("code", code).put("message", message);
    return bytes(root);
  }

  /** A required string field. */
  public static String text(JsonNode obj, String field) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) throw HttpError.badRequest("field '" + field + "' is required");
    if (!v.isTextual()) throw HttpError.badRequest("field '" + field + "' must be a string");
    return checked(field, v.textValue());
  }

  /**
   * Whether {@code s} can be stored by every backend: no NUL (PostgreSQL text cannot hold one) and no lone
   * UTF-16 surrogate (JSON's {@code \ud800} escapes allow them; they are no Unicode text and do not survive
   * UTF-8).
   */
  public static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) return false;
      if (Character.isHighSurrogate(c)) {
        if (i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) return false;
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  private static String checked(String field, String s) {
    if (!wellFormed(s)) {
      throw HttpError.badRequest("field '" + field + "' must be Unicode text without NUL characters");
    }
    return s;
  }

  /** A required string field that is not blank (an id or a sender). */
  public static String nonBlank(JsonNode obj, String field) {
    String v = text(obj, field);
    if (v.isBlank()) throw HttpError.badRequest("field '" + field + "' must not be blank");
    return v;
  }

  public static Optional<String> optText(JsonNode obj, String field) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) return Optional.empty();
    if (!v.isTextual()) throw HttpError.badRequest("field '" + field + "' must be a string");
    return Optional.of(checked(field, v.textValue()));
  }

  /** A required integral number that fits a long (no fractions, no strings). */
  public static long integer(JsonNode obj, String field) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) throw HttpError.badRequest("field '" + field + "' is required");
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw HttpError.badRequest("field '" + field + "' must be an integer");
    }
    return v.longValue();
  }

  /** A required id that platforms send either as a number or as a string of digits/letters. */
  public static String id(JsonNode obj, String field) {
    JsonNode v = obj.get(field);
    if (v == null || v.isNull()) throw HttpError.badRequest("field '" + field + "' is required");
    if (v.isIntegralNumber() && v.canConvertToLong()) return Long.toString(v.longValue());
    if (v.isTextual() && !v.textValue().isBlank()) return checked(field, v.textValue());
    throw HttpError.badRequest("field '" + field + "' must be an id");
  }

  public static JsonNode object(JsonNode obj, String field) {
    JsonNode v = obj.get(field);
    if (v == null || !v.isObject()) throw HttpError.badRequest("field '" + field + "' must be an object");
    return v;
  }
}
