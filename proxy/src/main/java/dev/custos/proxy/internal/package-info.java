/** Internal: anything here can be changed or removed at any time. */
@NullMarked
package dev.custos.proxy.internal;

import org.jspecify.annotations.NullMarked;
