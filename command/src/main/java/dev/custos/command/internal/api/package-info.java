/** The command plane's API access: callers, roles and the check every API route goes through. */
@NullMarked
package dev.custos.command.internal.api;

import org.jspecify.annotations.NullMarked;
