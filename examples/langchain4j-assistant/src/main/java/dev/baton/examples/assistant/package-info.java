/** The example bank assistant: a LangChain4j AI service run by Baton (see the example's README). */
@NullMarked
package dev.baton.examples.assistant;

import org.jspecify.annotations.NullMarked;
