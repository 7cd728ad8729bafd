/**
 * Configuration documents: YAML read with the position of every value, validated against a JSON
 * Schema (draft 2020-12), with problems reported as {@code file:line:column: what (expected:
 * what)}. Shared by the policy parser and the proxy's configuration.
 *
 * <p>Parse with {@link dev.custos.engine.config.ConfigDocument#parse}, validate with a {@link
 * dev.custos.engine.config.SchemaValidator} loaded once per schema, and report a {@link
 * dev.custos.engine.config.ConfigException}.
 */
@NullMarked
package dev.custos.engine.config;

import org.jspecify.annotations.NullMarked;
