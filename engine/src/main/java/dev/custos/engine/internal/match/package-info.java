/** Internal: anything here can be changed or removed at any time. */
@NullMarked
package dev.custos.engine.internal.match;

import org.jspecify.annotations.NullMarked;
