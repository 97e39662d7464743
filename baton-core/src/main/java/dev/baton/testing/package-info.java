@NullMarked
package dev.baton.testing;

import org.jspecify.annotations.NullMarked;
