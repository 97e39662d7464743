/** Baton's own agents: {@link dev.baton.agents.OpenAiAgent} ({@code agent.type: openai}). */
@NullMarked
package dev.baton.agents;

import org.jspecify.annotations.NullMarked;
