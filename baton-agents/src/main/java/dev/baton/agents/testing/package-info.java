/**
 * Test support published for tests, examples and benchmarks of other modules:
 * {@link dev.baton.agents.testing.ScriptedChatServer}, a loopback stand-in for an OpenAI-compatible server.
 */
@NullMarked
package dev.baton.agents.testing;

import org.jspecify.annotations.NullMarked;
