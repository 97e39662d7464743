/**
 * The MCP client behind {@link dev.baton.mcp.McpTools}: one {@code ServerConnection} per configured server
 * (start, restart with backoff, in-flight calls), its transports ({@code StdioTransport}, the SDK's streamable
 * HTTP one) and the tools it offers ({@code McpTool}, {@code LockTemplate}). Not an API.
 */
@NullMarked
package dev.baton.mcp.internal;

import org.jspecify.annotations.NullMarked;
