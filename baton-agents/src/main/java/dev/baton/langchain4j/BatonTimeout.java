package dev.baton.langchain4j;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The longest one call of a LangChain4j {@code @Tool} method may take (P4), overriding
 * {@code agent.tool_call_timeout_ms}. A call that runs out of time is reported to the model as a
 * {@code timeout} tool error.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface BatonTimeout {
  long millis();
}
