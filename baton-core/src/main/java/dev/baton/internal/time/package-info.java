@NullMarked
package dev.baton.internal.time;

import org.jspecify.annotations.NullMarked;
