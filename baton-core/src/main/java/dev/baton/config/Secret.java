package dev.baton.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a configuration key that holds a secret (token, password, signing key). Its value is never shown by
 * the loader's error messages or by the record's {@code toString()} (the record must override it; a test
 * walks every {@code @Secret} key and checks), and the key table says to give it as {@code ${ENV_NAME}}.
 * String keys named {@code *_token}, {@code *_secret}, {@code password} or {@code api_key} are treated as
 * secret without the annotation.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.RECORD_COMPONENT, ElementType.FIELD, ElementType.PARAMETER, ElementType.METHOD})
public @interface Secret {}
