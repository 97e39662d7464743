package dev.baton.spi.tool;

import java.util.ArrayList;
import java.util.List;

enum NoTools implements Tools {
  INSTANCE;

  @Override
  public List<ToolSpec> available() {
    return List.of();
  }

  @Override
  public ToolResult call(ToolCall call) {
    return new ToolResult.Failed("unknown_tool", "no tool named '" + call.tool() + "' is available");
  }

  @Override
  public List<ToolResult> callAll(List<ToolCall> calls) {
    List<ToolResult> out = new ArrayList<>(calls.size());
    for (ToolCall c : calls) out.add(call(c));
    return out;
  }
}
