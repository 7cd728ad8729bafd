package dev.custos.engine.internal.validate;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import org.jspecify.annotations.Nullable;

/**
 * Keeps only telephone numbers that Google's libphonenumber parses and declares valid for their
 * region: the region comes from the country calling code after a leading {@code +}, and numbers
 * without one are read as North American (NANP) numbers. A {@code +} followed by a calendar date
 * ({@code +20151223}, {@code +2015-12-23}) and dotted version strings are rejected before parsing.
 *
 * <p>Thread-safe: {@link PhoneNumberUtil} is a shared immutable instance that loads each region's
 * metadata once. Parsing is linear in the candidate, which the patterns bound to a few dozen bytes.
 */
final class PhoneNumber extends StructuralCheck {
  /** Longer candidates are no telephone number (E.164 allows 15 digits plus separators). */
  private static final int MAX_LENGTH = 40;

  private static final String DEFAULT_REGION = "US";

  @Override
  public boolean qualifiesEveryValidValue() {
    return true;
  }

  @Override
  public String name() {
    return "phone_number";
  }

  @Override
  public boolean isValid(CharSequence value) {
    return region(value) != null;
  }

  /** Returns the region of a valid number ({@code GB}, {@code US}), or null. */
  @Override
  public @Nullable String qualifier(CharSequence value) {
    return region(value);
  }

  private static @Nullable String region(CharSequence value) {
    if (value.length() > MAX_LENGTH) {
      return null;
    }
    String s = value.toString().trim();
    if (s.isEmpty() || looksLikeDate(s) || looksLikeVersion(s)) {
      return null;
    }
    boolean international = s.charAt(0) == '+';
    // Most numbers are read without parsing; the filters rule out before parsing only what no
    // reading could make valid, so they are asked only when there is no reading.
    PhoneValidity.Reading reading = international
        ? PhoneValidity.readInternational(s)
        : PhoneValidity.readNational(s, DEFAULT_REGION);
    if (reading != null) {
      return PhoneValidity.validRegionOf(reading.countryCode, reading.nsn);
    }
    if (international
        ? !PhoneValidity.mayBeValidInternational(s)
        : !PhoneValidity.mayBeValidNumber(s, DEFAULT_REGION)) {
      return null;
    }
    try {
      return PhoneValidity.validRegionOf(
          PhoneNumberUtil.getInstance().parse(s, international ? "ZZ" : DEFAULT_REGION));
    } catch (NumberParseException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Returns whether the digits after a leading {@code +} read as a date: YYYYMMDD (19xx or 20xx,
   * a real month and day), with or without separators between year, month and day.
   */
  static boolean looksLikeDate(String s) {
    if (s.charAt(0) != '+') {
      return false;
    }
    int[] d = Chars.digits(s.substring(1), 9);
    if (d == null || d.length != 8) {
      return false;
    }
    int year = Chars.number(d, 0, 4);
    return year >= 1900
        && year <= 2099
        && Chars.isDate(year, Chars.number(d, 4, 2), Chars.number(d, 6, 2));
  }

  /**
   * Returns whether the value is written like a dotted software version: dots as the only
   * separator and a group of one digit after the first ({@code 10.9.194.9}); telephone groups
   * written with dots have at least two digits each, apart from a leading country code.
   */
  static boolean looksLikeVersion(String s) {
    if (s.indexOf('.') < 0) {
      return false;
    }
    int group = 0;
    int groups = 0;
    boolean shortGroup = false;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (Chars.isDigit(c)) {
        group++;
      } else if (c == '.') {
        if (group == 1 && groups > 0) {
          shortGroup = true;
        }
        groups++;
        group = 0;
      } else if (c != '+' || i != 0) {
        return false;
      }
    }
    return shortGroup;
  }
}
