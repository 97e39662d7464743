/**
 * Flow control of calls to shared providers (P4, P11): {@link dev.baton.flow.ProviderLimiter}, the model
 * provider's requests and tokens per minute and the shared pause after a {@code 429}, shared by every session of
 * the process (and by every node in cluster mode). docs/concurrency.md, "Flow control", describes it.
 */
@NullMarked
package dev.baton.flow;

import org.jspecify.annotations.NullMarked;
