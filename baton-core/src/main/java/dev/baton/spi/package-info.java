@NullMarked
package dev.baton.spi;

import org.jspecify.annotations.NullMarked;
