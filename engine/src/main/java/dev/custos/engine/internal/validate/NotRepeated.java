package dev.custos.engine.internal.validate;

/**
 * Rejects placeholder-looking values: letters and digits that are all one character, or digits
 * that run up or down by one (wrapping 9 to 0) for six or more places, such as 1234567890.
 */
final class NotRepeated extends StructuralCheck {
  private static final int MIN_RUN = 6;

  @Override
  public String name() {
    return "not_repeated";
  }

  @Override
  public boolean isValid(CharSequence value) {
    int count = 0;
    char first = 0;
    char prev = 0;
    boolean same = true;
    boolean allDigits = true;
    boolean ascending = true;
    boolean descending = true;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!Character.isLetterOrDigit(c)) {
        continue;
      }
      if (count == 0) {
        first = c;
      } else {
        same &= c == first;
        if (allDigits && Chars.isDigit(c)) {
          int step = Math.floorMod((c - '0') - (prev - '0'), 10);
          ascending &= step == 1;
          descending &= step == 9;
        }
      }
      allDigits &= Chars.isDigit(c);
      prev = c;
      count++;
    }
    if (count == 0 || same) {
      return false;
    }
    boolean run = allDigits && count >= MIN_RUN && (ascending || descending);
    return !run;
  }
}
