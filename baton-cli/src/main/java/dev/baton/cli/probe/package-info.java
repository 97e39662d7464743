/** {@code baton probe}: a black-box load test and race detector for a chat agent running elsewhere (docs/probe.md). */
@NullMarked
package dev.baton.cli.probe;

import org.jspecify.annotations.NullMarked;
