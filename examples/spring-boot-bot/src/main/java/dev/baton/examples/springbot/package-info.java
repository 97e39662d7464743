/** A Spring Boot chat bot on Baton: the starter, a Spring AI agent and one Baton tool. */
@NullMarked
package dev.baton.examples.springbot;

import org.jspecify.annotations.NullMarked;
