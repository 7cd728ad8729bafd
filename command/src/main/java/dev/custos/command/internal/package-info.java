/** Internal to the command plane; anything here may change at any time. */
@NullMarked
package dev.custos.command.internal;

import org.jspecify.annotations.NullMarked;
