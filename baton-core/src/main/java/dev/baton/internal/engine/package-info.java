@NullMarked
package dev.baton.internal.engine;

import org.jspecify.annotations.NullMarked;
