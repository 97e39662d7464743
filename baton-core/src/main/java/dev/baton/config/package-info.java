@NullMarked
package dev.baton.config;

import org.jspecify.annotations.NullMarked;
