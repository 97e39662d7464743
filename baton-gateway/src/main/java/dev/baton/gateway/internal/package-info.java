/** Implementation of the gateway: handlers, payload parsers, signature checks, reply inbox and outbound lanes. */
@NullMarked
package dev.baton.gateway.internal;

import org.jspecify.annotations.NullMarked;
