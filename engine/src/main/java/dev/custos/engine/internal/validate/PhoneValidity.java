package dev.custos.engine.internal.validate;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonemetadata.PhoneMetadata;
import com.google.i18n.phonenumbers.Phonemetadata.PhoneNumberDesc;
import com.google.i18n.phonenumbers.Phonenumber;
import com.google.i18n.phonenumbers.metadata.DefaultMetadataDependenciesProvider;
import com.google.i18n.phonenumbers.metadata.source.MetadataSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * libphonenumber's validity rules ({@link PhoneNumberUtil#isValidNumber}, {@link
 * PhoneNumberUtil#isValidNumberForRegion}, {@link PhoneNumberUtil#getRegionCodeForNumber}), read
 * from the same metadata, with every metadata pattern compiled once.
 *
 * <p>Why: libphonenumber keeps its compiled patterns in a cache of 100. Checking a number against
 * the 25 regions of {@code phone_number_national}, or the 25 regions that share North America's
 * calling code, reads several hundred patterns, so that cache never holds the next one and every
 * check recompiled its regular expressions (about 20 µs for one NANP number, 400 µs for one
 * national number). The patterns here come from the library's own metadata, a finite set, so
 * holding all of them is bounded (a few thousand at most). Thread-safe.
 *
 * <p>A number is valid for a region when its calling code is the region's, its national
 * significant number has one of the general description's possible lengths and matches its
 * pattern, and it matches (length and pattern) one of the type descriptions: premium rate, toll
 * free, shared cost, VoIP, personal, pager, UAN, voicemail, fixed line or mobile.
 * {@code PhoneValidityProperties} checks agreement with libphonenumber on random numbers and on
 * every region's example numbers.
 */
final class PhoneValidity {
  private static final MetadataSource METADATA =
      DefaultMetadataDependenciesProvider.getInstance().getPhoneNumberMetadataSource();
  private static final Map<String, Pattern> PATTERNS = new ConcurrentHashMap<>();
  /** Per calling code, the metadata of every region that shares it. */
  private static final Map<Integer, List<PhoneMetadata>> SHARING = new ConcurrentHashMap<>();

  private PhoneValidity() {}

  /** Returns whether libphonenumber's {@code isValidNumber} holds for the number. */
  static boolean isValid(Phonenumber.PhoneNumber number) {
    return validRegionOf(number) != null;
  }

  /** Returns the number's region ({@link #regionOf}) when the number is valid, else null. */
  static @Nullable String validRegionOf(Phonenumber.PhoneNumber number) {
    String region = regionOf(number);
    return region != null && isValidForRegion(number, region) ? region : null;
  }

  /**
   * Returns {@link #validRegionOf(Phonenumber.PhoneNumber)} of the number with this calling code
   * and national significant number (leading zeros included).
   */
  static @Nullable String validRegionOf(int countryCode, String nsn) {
    String region = regionOf(countryCode, nsn);
    return region != null && isValidForRegion(countryCode, nsn, region) ? region : null;
  }

  /** Returns libphonenumber's {@code getRegionCodeForNumber}: the region, or null. */
  static @Nullable String regionOf(Phonenumber.PhoneNumber number) {
    return regionOf(number.getCountryCode(), PhoneNumberUtil.getInstance().getNationalSignificantNumber(number));
  }

  private static @Nullable String regionOf(int countryCode, String nsn) {
    List<String> regions = PhoneNumberUtil.getInstance().getRegionCodesForCountryCode(countryCode);
    if (regions.isEmpty()) {
      return null;
    }
    if (regions.size() == 1) {
      return regions.get(0);
    }
    for (String region : regions) {
      PhoneMetadata metadata = regionMetadata(region);
      if (metadata == null) {
        continue;
      }
      if (metadata.hasLeadingDigits()) {
        if (pattern(metadata.getLeadingDigits()).matcher(nsn).lookingAt()) {
          return region;
        }
      } else if (hasType(nsn, metadata)) {
        return region;
      }
    }
    return null;
  }

  /** Returns libphonenumber's {@code isValidNumberForRegion}. */
  static boolean isValidForRegion(Phonenumber.PhoneNumber number, String region) {
    return isValidForRegion(
        number.getCountryCode(), PhoneNumberUtil.getInstance().getNationalSignificantNumber(number), region);
  }

  private static boolean isValidForRegion(int countryCode, String nsn, String region) {
    PhoneMetadata metadata = PhoneNumberUtil.REGION_CODE_FOR_NON_GEO_ENTITY.equals(region)
        ? nonGeographicalMetadata(countryCode)
        : regionMetadata(region);
    if (metadata == null
        || (!PhoneNumberUtil.REGION_CODE_FOR_NON_GEO_ENTITY.equals(region)
            && countryCode != metadata.getCountryCode())) {
      return false;
    }
    return hasType(nsn, metadata);
  }

  /** A calling code and a national significant number, leading zeros included. */
  static final class Reading {
    final int countryCode;
    final String nsn;

    Reading(int countryCode, String nsn) {
      this.countryCode = countryCode;
      this.nsn = nsn;
    }
  }

  /**
   * Returns the calling code and national significant number that libphonenumber's {@code
   * parse(text, "ZZ")} gives, without parsing, for the plain international form: a plus, then
   * ASCII digits with the separators {@code " -./()"} between them, ending in a digit, whose
   * leading one to three digits are a geographic calling code. The calling code is the shortest
   * such run; the national significant number is the digits after it, or what follows the match
   * of the code's main region's national prefix at their start when that region's rules keep the
   * shorter number (the number without the prefix still matches the general pattern if the whole
   * one did, and its length is possible or too long, not too short, local only or invalid). Null
   * for any other text, and where parsing would fail or the region rewrites its national prefix:
   * those are left to libphonenumber. {@code PhoneValidityProperties} compares with parsing.
   */
  static @Nullable Reading readInternational(String text) {
    int n = text.length();
    if (n < 5 || text.charAt(0) != '+' || !isDigit(text.charAt(n - 1))) {
      return null;
    }
    String all = digitsOf(text, 1);
    if (all == null || all.length() < 4 || all.charAt(0) == '0') {
      return null;
    }
    PhoneNumberUtil util = PhoneNumberUtil.getInstance();
    for (int k = 1; k <= 3; k++) {
      int code = Integer.parseInt(all.substring(0, k));
      List<String> regions = util.getRegionCodesForCountryCode(code);
      if (regions.isEmpty()) {
        continue;
      }
      PhoneMetadata metadata = regionMetadata(regions.get(0));
      String national = all.substring(k);
      if (metadata == null || national.length() < 2) {
        return null;
      }
      String nsn = withoutNationalPrefix(national, metadata);
      if (nsn == null || nsn.length() < 2 || nsn.length() > 17) {
        return null;
      }
      return new Reading(code, nsn);
    }
    return null;
  }

  /**
   * Returns the calling code and national significant number that libphonenumber's {@code
   * parse(text, region)} gives, without parsing, for a number written nationally: ASCII digits (at
   * least three) with the separators {@code " -./()"}, read in a supported region, whose digits
   * start neither with the region's calling code nor with its international prefix followed by
   * anything but a 0 (which parsing does not read as one). The calling code is
   * the region's; the national significant number is the digits, or what follows the region's
   * national prefix as in {@link #readInternational}. Null for any other text and where the region
   * rewrites its national prefix: those are left to libphonenumber.
   */
  static @Nullable Reading readNational(String text, String region) {
    PhoneMetadata metadata = regionMetadata(region);
    String all = digitsOf(text, 0);
    if (metadata == null || all == null || all.length() < 3 || !metadata.hasInternationalPrefix()
        || all.startsWith(Integer.toString(metadata.getCountryCode()))) {
      return null;
    }
    // Digits after the international prefix are read as a calling code unless they start with 0.
    java.util.regex.Matcher idd = pattern(metadata.getInternationalPrefix()).matcher(all);
    if (idd.lookingAt() && (idd.end() == all.length() || all.charAt(idd.end()) != '0')) {
      return null;
    }
    String nsn = withoutNationalPrefix(all, metadata);
    if (nsn == null || nsn.length() < 2 || nsn.length() > 17) {
      return null;
    }
    return new Reading(metadata.getCountryCode(), nsn);
  }

  /** Returns the number parsing gives for a reading, field for field. */
  static Phonenumber.PhoneNumber toNumber(Reading reading) {
    Phonenumber.PhoneNumber number = new Phonenumber.PhoneNumber().setCountryCode(reading.countryCode);
    String nsn = reading.nsn;
    if (nsn.length() > 1 && nsn.charAt(0) == '0') {
      number.setItalianLeadingZero(true);
      int zeros = 1;
      while (zeros < nsn.length() - 1 && nsn.charAt(zeros) == '0') {
        zeros++;
      }
      if (zeros != 1) {
        number.setNumberOfLeadingZeros(zeros);
      }
    }
    return number.setNationalNumber(Long.parseLong(nsn));
  }

  /**
   * Returns the national significant number parsing keeps for {@code national} in the region of
   * {@code metadata}; null where the region rewrites its national prefix or its lengths are not
   * given.
   */
  private static @Nullable String withoutNationalPrefix(String national, PhoneMetadata metadata) {
    String prefixRule = metadata.getNationalPrefixForParsing();
    if (prefixRule.isEmpty()) {
      return national;
    }
    java.util.regex.Matcher prefix = pattern(prefixRule).matcher(national);
    if (!prefix.lookingAt()) {
      return national;
    }
    if (!metadata.getNationalPrefixTransformRule().isEmpty() && prefix.group(prefix.groupCount()) != null) {
      return null;
    }
    String stripped = national.substring(prefix.end());
    PhoneNumberDesc general = metadata.getGeneralDesc();
    if (matchesPattern(national, general) && !matchesPattern(stripped, general)) {
      return national;
    }
    List<Integer> lengths = general.getPossibleLengthList();
    if (lengths.isEmpty()) {
      return null;
    }
    int length = stripped.length();
    int min = lengths.get(0);
    boolean keep;
    if (min == -1 || general.getPossibleLengthLocalOnlyList().contains(length) || min > length) {
      keep = false; // invalid length, possible locally only, or too short
    } else {
      // possible, or too long
      keep = min == length || lengths.get(lengths.size() - 1) < length || lengths.contains(length);
    }
    return keep ? stripped : national;
  }

  private static boolean matchesPattern(String nsn, PhoneNumberDesc desc) {
    String regex = desc.getNationalNumberPattern();
    return !regex.isEmpty() && pattern(regex).matcher(nsn).matches();
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Returns false only when no reading of {@code text} in {@code region} can be valid for that
   * region, without parsing it (parsing costs about ten times more than this test). For a number
   * written with ASCII digits and the separators {@code " -./()"} only, that starts with neither the
   * region's international prefix nor its calling code, libphonenumber's national significant
   * number is either all the digits or what follows the match of the region's national prefix at
   * their start, unless the region rewrites that prefix ({@code nationalPrefixTransformRule}); a
   * valid one has one of the general description's lengths and a type. Digits that start with the
   * international prefix, not followed by a 0, are read as a calling code and a number of that
   * code, valid for the region only when the code is the region's: a number whose code read so is
   * not, or where none is, is ruled out. Every other case is left to parsing (true).
   */
  static boolean mayBeValidIn(CharSequence text, String region) {
    PhoneMetadata metadata = regionMetadata(region);
    if (metadata == null) {
      return false;
    }
    if (metadata.getNationalPrefixTransformRule().isEmpty() && metadata.hasInternationalPrefix()) {
      String all = digitsOf(text, 0);
      String code = Integer.toString(metadata.getCountryCode());
      if (all != null && !all.startsWith(code)) {
        java.util.regex.Matcher idd = pattern(metadata.getInternationalPrefix()).matcher(all);
        if (idd.lookingAt() && (idd.end() == all.length() || all.charAt(idd.end()) != '0')) {
          return code.equals(callingCodeAt(all, idd.end()));
        }
      }
    }
    return mayBeValid(text, metadata, nsn -> hasType(nsn, metadata));
  }

  /**
   * Returns the calling code parsing reads at {@code from} after an international prefix: the
   * shortest of the next one to three digits that is one, when more than three digits follow;
   * null where parsing would find none.
   */
  private static @Nullable String callingCodeAt(String digits, int from) {
    if (digits.length() - from <= 3 || digits.charAt(from) == '0') {
      return null;
    }
    PhoneNumberUtil util = PhoneNumberUtil.getInstance();
    for (int k = 1; k <= 3; k++) {
      String code = digits.substring(from, from + k);
      if (!util.getRegionCodesForCountryCode(Integer.parseInt(code)).isEmpty()) {
        return code;
      }
    }
    return null;
  }

  /**
   * Returns false only when no reading of {@code text} in {@code region} can be a valid number
   * ({@link #isValid}: valid in the region its calling code and leading digits pick), without
   * parsing it; as {@link #mayBeValidIn}, but a national significant number with a type in any
   * region sharing the calling code (the United States and Canada, say) is kept.
   */
  static boolean mayBeValidNumber(CharSequence text, String region) {
    PhoneMetadata metadata = regionMetadata(region);
    if (metadata == null) {
      return false;
    }
    List<PhoneMetadata> sharing = sharing(metadata.getCountryCode());
    return mayBeValid(text, metadata, nsn -> hasTypeInAny(nsn, sharing));
  }

  /**
   * Returns false only when {@code text}, written with a leading {@code +}, cannot be a valid
   * number ({@link #isValid}), without parsing it. For a number written with ASCII digits and the
   * separators {@code " -./()"} only after its plus, libphonenumber takes as calling code the
   * shortest run of one to three leading digits that is one, and as national significant number
   * either the digits after it or what follows the match of the code's main region's national
   * prefix at their start, unless that region rewrites the prefix; a valid one has a type in a
   * region of the code. Non-geographical codes and every other case are left to parsing (true).
   */
  static boolean mayBeValidInternational(CharSequence text) {
    if (text.length() < 2 || text.charAt(0) != '+') {
      return true;
    }
    String all = digitsOf(text, 1);
    if (all == null || all.isEmpty() || all.charAt(0) == '0') {
      return true;
    }
    PhoneNumberUtil util = PhoneNumberUtil.getInstance();
    for (int n = 1; n <= 3 && n <= all.length(); n++) {
      int code = Integer.parseInt(all.substring(0, n));
      List<String> regions = util.getRegionCodesForCountryCode(code);
      if (regions.isEmpty()) {
        continue;
      }
      PhoneMetadata main = regionMetadata(regions.get(0));
      if (main == null || regions.contains(PhoneNumberUtil.REGION_CODE_FOR_NON_GEO_ENTITY)
          || !main.getNationalPrefixTransformRule().isEmpty()) {
        return true;
      }
      List<PhoneMetadata> sharing = sharing(code);
      String national = all.substring(n);
      if (hasTypeInAny(national, sharing)) {
        return true;
      }
      if (!main.hasNationalPrefixForParsing()) {
        return false;
      }
      java.util.regex.Matcher prefix = pattern(main.getNationalPrefixForParsing()).matcher(national);
      return prefix.lookingAt() && hasTypeInAny(national.substring(prefix.end()), sharing);
    }
    return true;
  }

  /** Returns the metadata of every region that shares the calling code, kept once made. */
  private static List<PhoneMetadata> sharing(int countryCode) {
    return SHARING.computeIfAbsent(countryCode, code -> {
      List<PhoneMetadata> all = new java.util.ArrayList<>();
      for (String other : PhoneNumberUtil.getInstance().getRegionCodesForCountryCode(code)) {
        PhoneMetadata m = regionMetadata(other);
        if (m != null) {
          all.add(m);
        }
      }
      return List.copyOf(all);
    });
  }

  private static boolean hasTypeInAny(String nsn, List<PhoneMetadata> regions) {
    for (PhoneMetadata m : regions) {
      if (hasType(nsn, m)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the ASCII digits of {@code text} from {@code from} on, or null when it holds anything
   * but digits and the separators {@code " -./()"}.
   */
  private static @Nullable String digitsOf(CharSequence text, int from) {
    StringBuilder digits = new StringBuilder(text.length());
    for (int i = from; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits.append(c);
      } else if (" -./()".indexOf(c) < 0) {
        return null;
      }
    }
    return digits.toString();
  }

  private static boolean mayBeValid(
      CharSequence text, PhoneMetadata metadata, java.util.function.Predicate<String> typed) {
    if (!metadata.getNationalPrefixTransformRule().isEmpty()) {
      return true;
    }
    String all = digitsOf(text, 0);
    if (all == null) {
      return true;
    }
    if (all.startsWith(Integer.toString(metadata.getCountryCode()))
        || (metadata.hasInternationalPrefix()
            && pattern(metadata.getInternationalPrefix()).matcher(all).lookingAt())) {
      return true;
    }
    if (typed.test(all)) {
      return true;
    }
    if (!metadata.hasNationalPrefixForParsing()) {
      return false;
    }
    java.util.regex.Matcher prefix = pattern(metadata.getNationalPrefixForParsing()).matcher(all);
    return prefix.lookingAt() && typed.test(all.substring(prefix.end()));
  }

  private static @Nullable PhoneMetadata regionMetadata(String region) {
    return PhoneNumberUtil.getInstance().getSupportedRegions().contains(region)
        ? METADATA.getMetadataForRegion(region)
        : null;
  }

  private static @Nullable PhoneMetadata nonGeographicalMetadata(int countryCode) {
    return PhoneNumberUtil.getInstance().getSupportedGlobalNetworkCallingCodes().contains(countryCode)
        ? METADATA.getMetadataForNonGeographicalRegion(countryCode)
        : null;
  }

  /** Returns whether libphonenumber would give the number a type other than UNKNOWN. */
  private static boolean hasType(String nsn, PhoneMetadata m) {
    if (!matches(nsn, m.getGeneralDesc())) {
      return false;
    }
    return matches(nsn, m.getPremiumRate())
        || matches(nsn, m.getTollFree())
        || matches(nsn, m.getSharedCost())
        || matches(nsn, m.getVoip())
        || matches(nsn, m.getPersonalNumber())
        || matches(nsn, m.getPager())
        || matches(nsn, m.getUan())
        || matches(nsn, m.getVoicemail())
        || matches(nsn, m.getFixedLine())
        || (!m.getSameMobileAndFixedLinePattern() && matches(nsn, m.getMobile()));
  }

  private static boolean matches(String nsn, PhoneNumberDesc desc) {
    List<Integer> lengths = desc.getPossibleLengthList();
    if (!lengths.isEmpty() && !lengths.contains(nsn.length())) {
      return false;
    }
    String regex = desc.getNationalNumberPattern();
    return !regex.isEmpty() && pattern(regex).matcher(nsn).matches();
  }

  private static Pattern pattern(String regex) {
    return PATTERNS.computeIfAbsent(regex, Pattern::compile);
  }
}
