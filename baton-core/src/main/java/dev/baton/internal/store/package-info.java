@NullMarked
package dev.baton.internal.store;

import org.jspecify.annotations.NullMarked;
