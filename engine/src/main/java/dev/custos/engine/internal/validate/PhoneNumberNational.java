package dev.custos.engine.internal.validate;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Keeps telephone numbers written in a country's national format, without a country code ({@code
 * 020 7946 0958}, {@code 030 1234567}, {@code 01 23 45 67 89}, {@code 098765 43210}): the number is
 * read in each configured region in order and kept when Google's libphonenumber declares it valid
 * for that region, which is then its {@link #qualifier}. Calendar dates, times, dotted versions and
 * amounts with decimal separators are rejected before parsing.
 *
 * <p>Named {@code phone_number_national} (the {@link #DEFAULT_REGIONS}) or {@code
 * phone_number_national(GB,IE)} for other regions (ISO 3166 codes libphonenumber supports). A
 * national number names no country, so the detectors that use this validator need a telephone
 * keyword nearby. Thread-safe and immutable; parsing is linear in the candidate, which is bounded
 * to {@value #MAX_LENGTH} characters, times the number of regions.
 */
final class PhoneNumberNational extends StructuralCheck {
  static final String NAME = "phone_number_national";

  /**
   * Regions tried by default, outside North America (whose numbers {@code phone_number} reads
   * without a country code): Europe's largest, India, Australia and New Zealand, Japan, Korea,
   * Singapore, South Africa, Brazil and Mexico.
   */
  static final List<String> DEFAULT_REGIONS = List.of(
      "GB", "DE", "FR", "IN", "IT", "ES", "NL", "BE", "CH", "AT", "IE", "SE", "NO", "DK", "FI",
      "PL", "PT", "AU", "NZ", "JP", "KR", "SG", "ZA", "BR", "MX");

  private static final int MAX_LENGTH = 40;

  private static final Pattern DATE_SEPARATOR = Pattern.compile("[ ./-]");
  private static final Pattern AMOUNT =
      Pattern.compile("\\d{1,3}(?:([ .,])\\d{3})+(?:[.,]\\d{2})?");

  /**
   * Fewest digits, trunk prefix included: variable-length plans (DE, AT) accept shorter numbers,
   * which written alone are as likely a count or a code.
   */
  private static final int MIN_DIGITS = 8;

  private final String name;
  private final List<String> regions;

  private PhoneNumberNational(String name, List<String> regions) {
    this.name = name;
    this.regions = List.copyOf(regions);
  }

  /** Returns the validator of the default regions. */
  static PhoneNumberNational ofDefault() {
    return new PhoneNumberNational(NAME, DEFAULT_REGIONS);
  }

  /**
   * Returns the validator a name such as {@code phone_number_national(GB,IE)} stands for, or null
   * when the name is not one or names a region libphonenumber does not know.
   */
  static @Nullable PhoneNumberNational ofName(String name) {
    if (!name.startsWith(NAME + "(") || !name.endsWith(")")) {
      return null;
    }
    String inside = name.substring(NAME.length() + 1, name.length() - 1);
    Set<String> supported = PhoneNumberUtil.getInstance().getSupportedRegions();
    List<String> regions = new ArrayList<>();
    for (String part : inside.split(",", -1)) {
      String region = part.trim().toUpperCase(Locale.ROOT);
      if (!supported.contains(region) || regions.contains(region)) {
        return null;
      }
      regions.add(region);
    }
    return new PhoneNumberNational(name, regions);
  }

  /** Returns the regions tried, in order. */
  List<String> regions() {
    return regions;
  }

  @Override
  public boolean qualifiesEveryValidValue() {
    return true;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public boolean isValid(CharSequence value) {
    return region(value) != null;
  }

  @Override
  public @Nullable String qualifier(CharSequence value) {
    return region(value);
  }

  private @Nullable String region(CharSequence value) {
    if (value.length() > MAX_LENGTH) {
      return null;
    }
    String s = value.toString().trim();
    if (digitCount(s) < MIN_DIGITS) {
      return null;
    }
    if (s.charAt(0) == '+' || looksLikeDateOrTime(s) || PhoneNumber.looksLikeVersion(s)
        || looksLikeAmount(s)) {
      return null;
    }
    PhoneNumberUtil util = PhoneNumberUtil.getInstance();
    String grouping = grouping(s);
    String firstValid = null;
    for (String region : regions) {
      // A reading without parsing, where there is one, is decided exactly below; otherwise the
      // filter rules out before parsing what no reading could make valid.
      PhoneValidity.Reading reading = PhoneValidity.readNational(s, region);
      if (reading == null && !PhoneValidity.mayBeValidIn(s, region)) {
        continue;
      }
      try {
        Phonenumber.PhoneNumber number =
            reading != null ? PhoneValidity.toNumber(reading) : util.parse(s, region);
        if (PhoneValidity.isValidForRegion(number, region)) {
          // Written as the region writes its numbers (020 7946 0958 in GB, 01 23 45 67 89 in FR):
          // that region, rather than the first where the digits happen to be valid too.
          if (grouping.equals(grouping(util.format(number, PhoneNumberUtil.PhoneNumberFormat.NATIONAL)))) {
            return region;
          }
          if (firstValid == null) {
            firstValid = region;
          }
        }
      } catch (NumberParseException | RuntimeException e) {
        // Not a number of this region.
      }
    }
    return firstValid;
  }

  /** Returns how many ASCII digits {@code s} holds. */
  private static int digitCount(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        n++;
      }
    }
    return n;
  }

  /** Returns the lengths of the runs of digits, such as {@code 3,4,4} for {@code 020 7946 0958}. */
  private static String grouping(String s) {
    StringBuilder sb = new StringBuilder();
    int run = 0;
    for (int i = 0; i <= s.length(); i++) {
      if (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        run++;
      } else if (run > 0) {
        sb.append(run).append(',');
        run = 0;
      }
    }
    return sb.toString();
  }

  /**
   * Returns whether the value reads as a date or a time: three groups of digits split by one kind
   * of separator, one of them a year (19xx, 20xx) and the others a plausible day and month, or
   * groups split by colons.
   */
  static boolean looksLikeDateOrTime(String s) {
    if (s.indexOf(':') >= 0) {
      return true;
    }
    String[] groups = DATE_SEPARATOR.split(s, -1);
    if (groups.length != 3) {
      return false;
    }
    int[] n = new int[3];
    for (int i = 0; i < 3; i++) {
      if (groups[i].isEmpty() || groups[i].length() > 4 || digitCount(groups[i]) != groups[i].length()) {
        return false;
      }
      n[i] = Integer.parseInt(groups[i]);
    }
    boolean yearFirst = groups[0].length() == 4 && n[0] >= 1900 && n[0] <= 2099;
    boolean yearLast = (groups[2].length() == 4 && n[2] >= 1900 && n[2] <= 2099)
        || (groups[2].length() == 2 && groups[0].length() <= 2 && groups[1].length() <= 2);
    if (yearFirst) {
      return n[1] >= 1 && n[1] <= 12 && n[2] >= 1 && n[2] <= 31;
    }
    return yearLast && n[0] >= 1 && n[0] <= 31 && n[1] >= 1 && n[1] <= 31 && (n[0] <= 12 || n[1] <= 12);
  }

  /**
   * Returns whether the value reads as an amount: digits grouped by threes with one kind of
   * separator and, after the other kind, two decimals ({@code 1.234.567,89}, {@code 1 234 567.50}).
   */
  static boolean looksLikeAmount(String s) {
    return AMOUNT.matcher(s).matches() && !s.startsWith("0");
  }
}
