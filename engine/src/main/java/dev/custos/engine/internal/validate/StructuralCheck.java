package dev.custos.engine.internal.validate;

/**
 * A validator that checks structure (a plausible date, an octet range, a number range) rather than
 * a checksum: passing it does not raise a match's confidence.
 */
abstract class StructuralCheck implements Validator {
  @Override
  public final boolean confirms() {
    return false;
  }
}
