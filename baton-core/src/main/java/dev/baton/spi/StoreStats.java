package dev.baton.spi;

/** Counts a store reports for metrics and the admin API. */
public record StoreStats(long journalEntries, long unfinished, long undeliveredReplies, long idempotencyRecords) {}
