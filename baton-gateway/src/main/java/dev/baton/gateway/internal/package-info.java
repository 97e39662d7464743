/**
 * Implementation of the gateway: handlers, payload parsers, signature checks, reply inbox and outbound lanes.
 * Everything here is package-private except the two types the public {@code dev.baton.gateway} must create:
 * {@link dev.baton.gateway.internal.GatewayServer} (the listener and its routes, for {@code Gateway}) and
 * {@link dev.baton.gateway.internal.ReplyLanes} (the API inbox and the outbound lanes, for {@code ReplyRouter}).
 */
@NullMarked
package dev.baton.gateway.internal;

import org.jspecify.annotations.NullMarked;
