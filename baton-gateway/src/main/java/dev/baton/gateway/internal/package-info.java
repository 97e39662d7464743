/** Implementation of the gateway: handlers, payload parsers, signature checks, reply inbox and outbound lanes. */
package dev.baton.gateway.internal;
