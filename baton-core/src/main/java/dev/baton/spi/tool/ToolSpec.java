package dev.baton.spi.tool;

/** What an LLM is told about a tool: its name, description and JSON Schema of its input. */
public record ToolSpec(String name, String description, String inputSchemaJson) {}
