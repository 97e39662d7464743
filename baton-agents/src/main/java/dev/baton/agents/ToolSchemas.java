package dev.baton.agents;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.baton.spi.BatonJson;
import dev.baton.spi.tool.ToolSpec;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchemaElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns the tool runtime's {@link ToolSpec}s (JSON Schema text) into LangChain4j tool specifications. */
final class ToolSchemas {

  private static final Logger LOG = LoggerFactory.getLogger(ToolSchemas.class);
  private static final ObjectMapper JSON = BatonJson.MAPPER;

  private ToolSchemas() {}

  /** Specs whose schema cannot be read are left out (and logged), so one bad tool does not break the turn. */
  public static List<ToolSpecification> toSpecifications(List<ToolSpec> specs, ToolNames names) {
    List<ToolSpecification> out = new ArrayList<>(specs.size());
    for (ToolSpec s : specs) {
      try {
        out.add(toSpecification(new ToolSpec(names.provider(s.name()), s.description(), s.inputSchemaJson())));
      } catch (RuntimeException e) {
        LOG.warn("tool '{}' left out: its input schema is not a JSON Schema object ({})", s.name(), e.getMessage());
      }
    }
    return out;
  }

  public static ToolSpecification toSpecification(ToolSpec s) {
    Map<String, Object> map;
    try {
      map = JSON.readValue(s.inputSchemaJson(), new TypeReference<Map<String, Object>>() {});
    } catch (Exception e) {
      throw new IllegalArgumentException("schema is not a JSON object", e);
    }
    map.putIfAbsent("type", "object");
    JsonSchemaElement element = JsonSchemaElementJsonUtils.fromMap(map);
    if (!(element instanceof JsonObjectSchema parameters)) {
      throw new IllegalArgumentException("schema type must be object");
    }
    return ToolSpecification.builder().name(s.name()).description(s.description()).parameters(parameters).build();
  }
}
