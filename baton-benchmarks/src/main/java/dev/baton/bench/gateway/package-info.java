/** Load harnesses of the HTTP gateway: live streams through {@code GET /v1/events}. */
@NullMarked
package dev.baton.bench.gateway;

import org.jspecify.annotations.NullMarked;
