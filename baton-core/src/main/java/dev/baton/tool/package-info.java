@NullMarked
package dev.baton.tool;

import org.jspecify.annotations.NullMarked;
