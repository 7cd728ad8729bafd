/** Internals of the command line. Anything in this package can be changed or removed at any time. */
@NullMarked
package dev.custos.cli.internal;

import org.jspecify.annotations.NullMarked;
