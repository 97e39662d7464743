/**
 * Baton as the home of LangChain4j agents: {@link dev.baton.langchain4j.LangChain4jAgent} runs an
 * {@code AiServices} assistant as a Baton {@link dev.baton.Agent}; {@link dev.baton.langchain4j.BatonChatMemoryStore}
 * keeps its chat memory in the session's state (per session, durable, committed with the turn);
 * {@link dev.baton.langchain4j.LangChain4jTools} routes {@code @Tool} methods through Baton's tool runtime
 * (resources declared with {@link dev.baton.langchain4j.BatonResource}, idempotency, timeouts) with the
 * session's context, also on LangChain4j's own tool executor ({@link dev.baton.langchain4j.BatonExecutors}).
 */
@NullMarked
package dev.baton.langchain4j;

import org.jspecify.annotations.NullMarked;
