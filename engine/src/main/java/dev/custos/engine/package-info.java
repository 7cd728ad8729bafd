/**
 * The Custos detection engine: policies, detectors, scanners, findings and redaction.
 *
 * <p>Start with {@link dev.custos.engine.Policy#ofDefault()} or {@link
 * dev.custos.engine.Policy#parse(java.nio.file.Path)}, compile it once with {@link
 * dev.custos.engine.Scanner#builder(Policy)}, share the {@link dev.custos.engine.Scanner} between
 * threads, and open a {@link dev.custos.engine.StreamScanner} per message or file.
 *
 * <p>No type in this package ever holds, prints or throws a raw sensitive value: a {@link
 * dev.custos.engine.Finding} carries only offsets and {@link dev.custos.engine.Evidence}.
 */
@NullMarked
package dev.custos.engine;

import org.jspecify.annotations.NullMarked;
