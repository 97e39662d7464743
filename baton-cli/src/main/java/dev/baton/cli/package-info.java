/** The `baton` command line: `demo`, `serve`, `config` (picocli commands). */
@NullMarked
package dev.baton.cli;

import org.jspecify.annotations.NullMarked;
