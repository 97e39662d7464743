package dev.baton.cli.demo;

import dev.baton.Turn;
import dev.baton.TurnContext;
import java.util.List;
import java.util.Optional;

/**
 * What the checking agent saw at the start of one turn, handed to {@link PromiseChecker#turnStarted}.
 *
 * @param context {@code turn.context()}
 * @param bound what {@code BatonContext.current()} returned inside the turn
 * @param mdcSession the SLF4J MDC's {@code baton.session} inside the turn
 * @param messages the turn's messages
 * @param stateOwner the user recorded in the session state by an earlier turn, if any
 * @param transcriptTexts the texts of the transcript's user entries
 */
record TurnObservation(TurnContext context, Optional<TurnContext> bound, Optional<String> mdcSession,
    List<Turn.Message> messages, Optional<String> stateOwner, List<String> transcriptTexts) {}
