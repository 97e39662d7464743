package dev.baton.langchain4j;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a shared resource that a LangChain4j {@code @Tool} method touches, so Baton's tool runtime holds
 * its lock while the method runs (P5). The value is {@code kind:name}; {@code {arg}} placeholders in the name
 * are replaced by the call's argument of that name, e.g. {@code @BatonResource("account:{accountId}")}. With
 * {@link #path()} the name is canonicalised as a path. The runtime acquires all of a call's resources in one
 * global order.
 *
 * <pre>{@code
 * @Tool("Moves money between two accounts")
 * @BatonResource("account:{from}")
 * @BatonResource("account:{to}")
 * String transfer(String from, String to, long cents) { ... }
 * }</pre>
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Repeatable(BatonResource.List.class)
public @interface BatonResource {

  /** The resource name template. */
  String value();

  /** Exclusive (default) or shared (readers). */
  boolean exclusive() default true;

  /** Whether the name is a slash-separated path to canonicalise ({@code a/../b} and {@code ./b} lock the same). */
  boolean path() default false;

  /** The container of repeated {@link BatonResource}s. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.METHOD)
  @interface List {
    BatonResource[] value();
  }
}
