/**
 * Spring Boot auto-configuration for Baton: the engine, store, tool runtime and HTTP gateway built from the
 * {@code baton.*} keys of {@code application.yaml} (the keys of {@code baton.yaml}, validated by Baton's own
 * binder), an {@code Agent} bean as the agent, Baton's meters in the application's {@code MeterRegistry}, an
 * Actuator health contributor and {@code baton} endpoint, and a drain on shutdown. See {@code docs/spring.md}.
 */
@NullMarked
package dev.baton.spring.boot;

import org.jspecify.annotations.NullMarked;
