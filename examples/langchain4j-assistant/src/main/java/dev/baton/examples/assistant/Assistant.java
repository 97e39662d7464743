package dev.baton.examples.assistant;

/** The LangChain4j AiServices interface: one method, text in, text out. */
public interface Assistant {
  String chat(String message);
}
