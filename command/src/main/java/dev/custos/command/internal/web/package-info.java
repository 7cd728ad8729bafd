/** The web dashboard: the bundled single-page application served at {@code /}. */
@NullMarked
package dev.custos.command.internal.web;

import org.jspecify.annotations.NullMarked;
