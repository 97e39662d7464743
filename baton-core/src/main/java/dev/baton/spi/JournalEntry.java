package dev.baton.spi;

import dev.baton.DedupKey;
import dev.baton.InboundMessage;
import dev.baton.SessionKey;
import java.time.Instant;

/** A message as journaled: its dedup key, its session, the message and when Baton received it. */
public record JournalEntry(DedupKey key, SessionKey session, InboundMessage message, Instant receivedAt) {}
