/**
 * The Custos command plane: gathers findings events from many proxies, stores them (SQLite
 * embedded, or PostgreSQL), and builds the flow model (who sends which categories where, minute
 * and hour roll-ups, distinct values by evidence hash) and value lineage from them.
 *
 * <p>Read a {@link dev.custos.command.CommandConfig} from {@code command.yaml}, build a {@link
 * dev.custos.command.CommandPlane} from it, then {@code start()} it.
 */
@NullMarked
package dev.custos.command;

import org.jspecify.annotations.NullMarked;
