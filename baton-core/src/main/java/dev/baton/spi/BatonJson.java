package dev.baton.spi;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/*
 * Overview
 *   The one Jackson configuration of Baton. Every module that reads or writes JSON (the gateway's payloads,
 *   tool arguments and results, the model providers' wire format, the demo's report) uses MAPPER, so a limit
 *   or a strictness rule set here holds everywhere: documents nest at most 64 deep, strings are at most 1 MiB,
 *   numbers at most 40 digits, trailing data and duplicate keys are errors, and times are ISO-8601 strings.
 *
 * Concurrency
 *   ObjectMapper is thread-safe once configured; MAPPER is never reconfigured after class initialization.
 */
/** The shared JSON mapper, pretty printer and canonical hash (field order does not matter). */
public final class BatonJson {

  /** The strictly limited mapper every module shares. Never reconfigure it. */
  public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(1 << 20)
          .maxNumberLength(40).build())
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      // Admin views and reports are records that may hold times: written as ISO-8601 strings.
      .registerModule(new SimpleModule("baton-time")
          .addSerializer(java.time.Instant.class, ToStringSerializer.instance)
          .addSerializer(java.time.Duration.class, ToStringSerializer.instance));

  /**
   * MAPPER with Jackson's default string limit (20 million characters) instead of 1 MiB, and every other rule
   * the same: for JSON Baton wrote itself from a tool's result (a transcript's tool entry, a tool's returned
   * text), which the tool runtime does not bound to 1 MiB. Never for a client's request.
   */
  public static final ObjectMapper TOOL_RESULTS = withDefaultStringLimit(MAPPER);

  private static ObjectMapper withDefaultStringLimit(ObjectMapper shared) {
    ObjectMapper m = shared.copy();
    StreamReadConstraints limits = m.getFactory().streamReadConstraints();
    m.getFactory().setStreamReadConstraints(limits.rebuild()
        .maxStringLength(StreamReadConstraints.defaults().getMaxStringLength()).build());
    return m;
  }

  private BatonJson() {}

  /** MAPPER's writer with indentation (reports meant for people). */
  public static ObjectWriter pretty() {
    return MAPPER.writerWithDefaultPrettyPrinter();
  }

  /** Parses a document; malformed, oversized or trailing input is a {@link JsonProcessingException}. */
  public static JsonNode parse(String json) throws JsonProcessingException {
    return MAPPER.readTree(json);
  }

  /** The node as compact JSON text. */
  public static String print(JsonNode node) {
    try {
      return MAPPER.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot print JSON", e);
    }
  }

  /** The node with every object's fields sorted by name, recursively. */
  public static JsonNode canonical(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : node.properties()) sorted.put(e.getKey(), canonical(e.getValue()));
      ObjectNode out = MAPPER.createObjectNode();
      sorted.forEach(out::set);
      return out;
    }
    if (node.isArray()) {
      var out = MAPPER.createArrayNode();
      node.forEach(n -> out.add(canonical(n)));
      return out;
    }
    return node;
  }

  /** SHA-256 of the canonical form, hex: equal for documents that differ only in field order. */
  public static String hash(JsonNode node) {
    return sha256(print(canonical(node)));
  }

  /** SHA-256 of the UTF-8 bytes of {@code s}, hex. */
  public static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
