/** Budget stores. Anything in this package can be changed or removed at any time. */
@NullMarked
package dev.custos.proxy.internal.budget;

import org.jspecify.annotations.NullMarked;
