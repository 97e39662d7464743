@NullMarked
package dev.baton.internal.agent;

import org.jspecify.annotations.NullMarked;
