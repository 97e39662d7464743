package dev.baton.internal.engine;

/** The engine tests' name for the shared {@link dev.baton.testing.GateAgent}. */
final class GateAgent extends dev.baton.testing.GateAgent {}
