package dev.baton.spi;

/**
 * A journal entry with its position in the journal ({@code seq}: increasing in insertion order), as returned by
 * {@link Store#unfinishedPage}; pass the last one of a page back as the cursor of the next.
 */
public record Journaled(long seq, JournalEntry entry) {}
