/** Flow control: token buckets per user and daily token budgets (docs/concurrency.md, "Flow control"). */
@NullMarked
package dev.baton.internal.flow;

import org.jspecify.annotations.NullMarked;
