/**
 * MCP servers' tools as Baton tools: {@link dev.baton.mcp.McpTools} connects the servers of
 * {@code tools.mcp.servers} and hands their tools to {@code BatonTools.builder().tool(...)}, so every agent that
 * sees the tool runtime sees them, and every call takes the runtime's locks, idempotency and timeouts.
 */
@NullMarked
package dev.baton.mcp;

import org.jspecify.annotations.NullMarked;
