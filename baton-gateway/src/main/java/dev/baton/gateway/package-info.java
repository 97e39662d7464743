/**
 * Baton's HTTP gateway: {@link dev.baton.gateway.Gateway} serves the JWT message API, the Telegram, Slack,
 * Discord and WhatsApp webhooks, health, readiness, Prometheus metrics and the admin API;
 * {@link dev.baton.gateway.ReplyRouter} is the engine's reply handler that delivers replies back.
 * Everything under {@code dev.baton.gateway.internal} is an implementation detail.
 */
@NullMarked
package dev.baton.gateway;

import org.jspecify.annotations.NullMarked;
