/** `./baton demo`: the scenarios that prove the promises P1-P11 in one process, and their report. */
@NullMarked
package dev.baton.cli.demo;

import org.jspecify.annotations.NullMarked;
