/**
 * A Spring AI {@code ChatClient} as a Baton agent: {@link dev.baton.spring.ai.SpringAiAgent} runs one turn
 * through the client, {@link dev.baton.spring.ai.BatonChatMemoryRepository} keeps its chat memory in the turn's
 * session state (never another session's), and {@link dev.baton.spring.ai.SpringAiTools} runs its tools through
 * Baton's tool runtime. See {@code docs/spring.md}.
 */
@NullMarked
package dev.baton.spring.ai;

import org.jspecify.annotations.NullMarked;
