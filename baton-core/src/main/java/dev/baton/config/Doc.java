package dev.baton.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The one-sentence meaning of a configuration key, on a record component of a config record. The key table
 * in {@code docs/configuration.md} is generated from these (a test keeps it current).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
public @interface Doc {
  String value();
}
