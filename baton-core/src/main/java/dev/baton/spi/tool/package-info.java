@NullMarked
package dev.baton.spi.tool;

import org.jspecify.annotations.NullMarked;
