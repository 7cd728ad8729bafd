/** Anything in this package and below can be changed or removed at any time. */
@NullMarked
package dev.custos.engine.internal;

import org.jspecify.annotations.NullMarked;
