/** Internal: anything here can be changed or removed at any time. */
@NullMarked
package dev.custos.engine.internal.policy;

import org.jspecify.annotations.NullMarked;
