package dev.custos.engine.internal.validate;

/**
 * Implements the Indian Permanent Account Number format (Income Tax Department): AAAAA9999A with
 * the 4th letter a holder type.
 */
final class InPan extends StructuralCheck {
  private static final String HOLDER_TYPES = "ABCFGHLJPTK";

  @Override
  public String name() {
    return "in_pan";
  }

  @Override
  public boolean isValid(CharSequence value) {
    String s = Chars.alnum(value, 10, "");
    if (s == null || s.length() != 10) {
      return false;
    }
    for (int i = 0; i < 10; i++) {
      char c = s.charAt(i);
      boolean digitPosition = i >= 5 && i <= 8;
      if (digitPosition ? !Chars.isDigit(c) : !Chars.isUpper(c)) {
        return false;
      }
    }
    return HOLDER_TYPES.indexOf(s.charAt(3)) >= 0;
  }
}
