/** Identity extraction. Anything in this package can be changed or removed at any time. */
@NullMarked
package dev.custos.proxy.internal.identity;

import org.jspecify.annotations.NullMarked;
