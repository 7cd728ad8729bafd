package dev.custos.engine.internal.validate;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link PhoneValidity} gives libphonenumber's own answers: valid or not, valid for a region or
 * not, and the region of a number, on numbers read in every region and on international numbers.
 */
class PhoneValidityProperties {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
  private static final List<String> REGIONS = new ArrayList<>(new TreeSet<>(UTIL.getSupportedRegions()));

  @Provide
  Arbitrary<String> region() {
    return Arbitraries.of(REGIONS);
  }

  @Provide
  Arbitrary<String> digits() {
    // Leading digits drawn so that trunk prefixes (0), international prefixes (00, 011) and
    // country codes all come up often enough.
    return Arbitraries.strings().withChars("0123456789").ofMinLength(4).ofMaxLength(17);
  }

  @Property(tries = 4000, seed = "20261207")
  void aNumberReadInARegionGetsLibphonenumbersVerdicts(
      @ForAll("digits") String digits, @ForAll("region") String readIn, @ForAll("region") String checkedFor) {
    Phonenumber.PhoneNumber number = parse(digits, readIn);
    Assume.that(number != null);

    assertThat(PhoneValidity.isValid(number)).isEqualTo(UTIL.isValidNumber(number));
    assertThat(PhoneValidity.regionOf(number)).isEqualTo(UTIL.getRegionCodeForNumber(number));
    assertThat(PhoneValidity.isValidForRegion(number, readIn)).isEqualTo(UTIL.isValidNumberForRegion(number, readIn));
    assertThat(PhoneValidity.isValidForRegion(number, checkedFor))
        .isEqualTo(UTIL.isValidNumberForRegion(number, checkedFor));
  }

  @Property(tries = 3000, seed = "20261207")
  void anInternationalNumberGetsLibphonenumbersVerdicts(
      @ForAll @IntRange(min = 1, max = 999) int countryCode,
      @ForAll("digits") String rest,
      @ForAll("region") String checkedFor) {
    Phonenumber.PhoneNumber number = parse("+" + countryCode + rest, "ZZ");
    Assume.that(number != null);

    assertThat(PhoneValidity.isValid(number)).isEqualTo(UTIL.isValidNumber(number));
    assertThat(PhoneValidity.regionOf(number)).isEqualTo(UTIL.getRegionCodeForNumber(number));
    assertThat(PhoneValidity.isValidForRegion(number, "001")).isEqualTo(UTIL.isValidNumberForRegion(number, "001"));
    assertThat(PhoneValidity.isValidForRegion(number, checkedFor))
        .isEqualTo(UTIL.isValidNumberForRegion(number, checkedFor));
  }

  @Test
  void everyRegionsExampleNumbersAndTheirNeighboursAgree() {
    int valid = 0;
    for (String region : REGIONS) {
      for (PhoneNumberUtil.PhoneNumberType type : PhoneNumberUtil.PhoneNumberType.values()) {
        Phonenumber.PhoneNumber example = UTIL.getExampleNumberForType(region, type);
        if (example == null) {
          continue;
        }
        String nsn = UTIL.getNationalSignificantNumber(example);
        // The example, one digit more or less, and its last digit changed.
        for (String variant : List.of(nsn, nsn + "5", nsn.substring(0, nsn.length() - 1),
            nsn.substring(0, nsn.length() - 1) + (char) ('0' + (nsn.charAt(nsn.length() - 1) - '0' + 1) % 10))) {
          Phonenumber.PhoneNumber number = parse("+" + example.getCountryCode() + variant, "ZZ");
          if (number == null) {
            continue;
          }
          boolean expected = UTIL.isValidNumber(number);
          valid += expected ? 1 : 0;
          assertThat(PhoneValidity.isValid(number)).as("%s %s %s", region, type, variant).isEqualTo(expected);
          assertThat(PhoneValidity.regionOf(number)).as("%s %s %s", region, type, variant)
              .isEqualTo(UTIL.getRegionCodeForNumber(number));
          assertThat(PhoneValidity.isValidForRegion(number, region)).as("%s %s %s", region, type, variant)
              .isEqualTo(UTIL.isValidNumberForRegion(number, region));
        }
      }
    }
    assertThat(valid).as("valid numbers among the examples and their neighbours").isGreaterThan(1000);
  }

  @Property(tries = 8000, seed = "20261207")
  void theRegionFilterNeverRulesOutAValidReading(
      @ForAll("writtenOrDigits") String text, @ForAll("region") String region) {
    Phonenumber.PhoneNumber number = parse(text, region);
    boolean valid = number != null && UTIL.isValidNumberForRegion(number, region);

    if (valid) {
      assertThat(PhoneValidity.mayBeValidIn(text, region)).isTrue();
    }
    if (number != null && UTIL.isValidNumber(number)) {
      assertThat(PhoneValidity.mayBeValidNumber(text, region)).isTrue();
    }
  }

  @Property(tries = 3000, seed = "20261207")
  void thePhoneValidatorsQualifyExactlyTheValuesTheyAccept(@ForAll("writtenOrInternational") String text) {
    for (Validator validator : List.of(new PhoneNumber(), PhoneNumberNational.ofDefault())) {
      assertThat(validator.qualifiesEveryValidValue()).isTrue();
      assertThat(validator.qualifier(text) != null).as(validator.name()).isEqualTo(validator.isValid(text));
    }
  }

  @Provide
  Arbitrary<String> writtenOrInternational() {
    return Arbitraries.oneOf(written(), written().map(w -> "+" + w.trim()),
        Arbitraries.of(REGIONS).map(r -> UTIL.getExampleNumber(r))
            .filter(n -> n != null)
            .map(n -> UTIL.format(n, PhoneNumberUtil.PhoneNumberFormat.NATIONAL)));
  }

  @Provide
  Arbitrary<String> written() {
    return Arbitraries.strings().withChars("0123456789 -./()").ofMinLength(6).ofMaxLength(20);
  }

  @Property(tries = 4000, seed = "20261207")
  void theInternationalFilterNeverRulesOutAValidNumber(@ForAll("international") String text) {
    Phonenumber.PhoneNumber number = parse(text, "ZZ");

    if (number != null && UTIL.isValidNumber(number)) {
      assertThat(PhoneValidity.mayBeValidInternational(text)).as(text).isTrue();
    }
  }

  @Provide
  Arbitrary<String> international() {
    // Calling codes of every length, then digits with the separators the filter reads, often
    // starting with a trunk prefix (0, 8) that the national prefix may strip.
    Arbitrary<String> code = Arbitraries.oneOf(
        Arbitraries.of(new ArrayList<>(new TreeSet<>(UTIL.getSupportedCallingCodes()))).map(String::valueOf),
        Arbitraries.integers().between(0, 999).map(String::valueOf));
    Arbitrary<String> rest = Arbitraries.oneOf(written(), digits(),
        Arbitraries.of("0", "8", "80", "(0)", " (0) ").flatMap(p -> digits().map(d -> p + d)));
    return Arbitraries.of("+", "+ ", "+(").flatMap(plus ->
        code.flatMap(c -> Arbitraries.of("", " ", "-", ".", ") ").flatMap(sep ->
            rest.map(r -> plus + c + sep + r))));
  }

  @Property(tries = 6000, seed = "20261207")
  void anInternationalNumberReadWithoutParsingReadsAsParsed(@ForAll("international") String text) {
    assertReadAsParsed(text);
  }

  @Test
  void everyExampleNumberAndItsNeighboursWrittenInternationallyReadAsParsed() {
    int read = 0;
    for (String region : REGIONS) {
      for (PhoneNumberUtil.PhoneNumberType type : PhoneNumberUtil.PhoneNumberType.values()) {
        Phonenumber.PhoneNumber example = UTIL.getExampleNumberForType(region, type);
        if (example == null) {
          continue;
        }
        String nsn = UTIL.getNationalSignificantNumber(example);
        String code = "+" + example.getCountryCode();
        for (String text : List.of(UTIL.format(example, PhoneNumberUtil.PhoneNumberFormat.INTERNATIONAL),
            UTIL.format(example, PhoneNumberUtil.PhoneNumberFormat.E164), code + " 0" + nsn,
            code + " (0) " + nsn, code + " 00" + nsn, code + "-8" + nsn, code + " " + nsn.substring(1),
            code + " " + nsn + "12", code + " " + nsn.substring(0, nsn.length() / 2))) {
          read += assertReadAsParsed(text) ? 1 : 0;
        }
      }
    }
    assertThat(read).as("numbers read without parsing").isGreaterThan(2000);
  }

  @Property(tries = 6000, seed = "20261207")
  void aNationalNumberReadWithoutParsingReadsAsParsed(
      @ForAll("writtenOrDigits") String text, @ForAll("region") String region) {
    assertNationalReadAsParsed(text, region);
  }

  @Provide
  Arbitrary<String> writtenOrDigits() {
    return Arbitraries.oneOf(written(), digits(),
        Arbitraries.of("0", "00", "000", "0011", "010", "1", "8", "(0)", "(").flatMap(p -> written().map(w -> p + w)));
  }

  @Test
  void everyExampleNumberWrittenNationallyReadsAsParsedInEveryRegion() {
    int read = 0;
    for (String region : REGIONS) {
      for (PhoneNumberUtil.PhoneNumberType type : PhoneNumberUtil.PhoneNumberType.values()) {
        Phonenumber.PhoneNumber example = UTIL.getExampleNumberForType(region, type);
        if (example == null) {
          continue;
        }
        String national = UTIL.format(example, PhoneNumberUtil.PhoneNumberFormat.NATIONAL);
        String nsn = UTIL.getNationalSignificantNumber(example);
        for (String other : List.of(region, "GB", "DE", "FR", "IN", "IT", "JP", "BR", "MX", "US", "AU")) {
          for (String text : List.of(national, nsn, "0" + nsn, "00" + nsn, "000" + nsn, nsn.substring(1), nsn + "1")) {
            read += assertNationalReadAsParsed(text, other) ? 1 : 0;
          }
        }
      }
    }
    assertThat(read).as("numbers read without parsing").isGreaterThan(10000);
  }

  @Test
  void theRegionFilterKeepsEveryExampleNumberDialledFromAbroad() {
    int kept = 0;
    for (String region : REGIONS) {
      for (PhoneNumberUtil.PhoneNumberType type : PhoneNumberUtil.PhoneNumberType.values()) {
        Phonenumber.PhoneNumber example = UTIL.getExampleNumberForType(region, type);
        if (example == null) {
          continue;
        }
        // Dialled with an international prefix of the region it is read in (00, 011, 0011, 010...).
        String nsn = UTIL.getNationalSignificantNumber(example);
        for (String other : List.of(region, "GB", "DE", "FR", "IN", "IT", "JP", "SG", "BR", "MX", "US", "AU")) {
          for (String idd : List.of("00", "011", "0011", "010", "001", "000", "0")) {
            for (String text : List.of(idd + example.getCountryCode() + nsn, idd + " " + example.getCountryCode() + " " + nsn,
                idd + example.getCountryCode() + "0" + nsn)) {
              Phonenumber.PhoneNumber number = parse(text, other);
              if (number != null && UTIL.isValidNumberForRegion(number, other)) {
                assertThat(PhoneValidity.mayBeValidIn(text, other)).as("%s in %s", text, other).isTrue();
                kept++;
              }
            }
          }
        }
      }
    }
    assertThat(kept).as("valid readings").isGreaterThan(300);
  }

  /** As {@link #assertReadAsParsed}, for a number read in a region: every field as parsed. */
  private static boolean assertNationalReadAsParsed(String text, String region) {
    PhoneValidity.Reading reading = PhoneValidity.readNational(text, region);
    if (reading == null) {
      return false;
    }
    Phonenumber.PhoneNumber number = parse(text, region);
    assertThat(number).as("%s in %s", text, region).isNotNull();
    Phonenumber.PhoneNumber read = PhoneValidity.toNumber(reading);
    assertThat(read.exactlySameAs(number)).as("%s in %s: %s, parsed %s", text, region, read, number).isTrue();
    assertThat(PhoneValidity.validRegionOf(reading.countryCode, reading.nsn)).as("%s in %s", text, region)
        .isEqualTo(UTIL.isValidNumber(number) ? UTIL.getRegionCodeForNumber(number) : null);
    return true;
  }

  /** Asserts that a reading, when there is one, is what parsing gives; returns whether there is. */
  private static boolean assertReadAsParsed(String text) {
    PhoneValidity.Reading reading = PhoneValidity.readInternational(text);
    if (reading == null) {
      return false;
    }
    Phonenumber.PhoneNumber number = parse(text, "ZZ");
    assertThat(number).as(text).isNotNull();
    assertThat(reading.countryCode).as(text).isEqualTo(number.getCountryCode());
    assertThat(reading.nsn).as(text).isEqualTo(UTIL.getNationalSignificantNumber(number));
    assertThat(PhoneValidity.toNumber(reading).exactlySameAs(number)).as(text).isTrue();
    assertThat(PhoneValidity.validRegionOf(reading.countryCode, reading.nsn)).as(text)
        .isEqualTo(UTIL.isValidNumber(number) ? UTIL.getRegionCodeForNumber(number) : null);
    return true;
  }

  @Test
  void theInternationalFilterKeepsEveryValidExampleNumberAndRulesOutMostNeighbours() {
    int kept = 0;
    int ruledOut = 0;
    for (String region : REGIONS) {
      for (PhoneNumberUtil.PhoneNumberType type : PhoneNumberUtil.PhoneNumberType.values()) {
        Phonenumber.PhoneNumber example = UTIL.getExampleNumberForType(region, type);
        if (example == null) {
          continue;
        }
        String nsn = UTIL.getNationalSignificantNumber(example);
        String code = "+" + example.getCountryCode();
        for (String text : List.of(UTIL.format(example, PhoneNumberUtil.PhoneNumberFormat.INTERNATIONAL),
            UTIL.format(example, PhoneNumberUtil.PhoneNumberFormat.E164), code + " 0" + nsn,
            code + " " + nsn.substring(0, nsn.length() / 2), code + " " + nsn + "12", code + " 0",
            code + " " + nsn.substring(1))) {
          Phonenumber.PhoneNumber number = parse(text, "ZZ");
          boolean valid = number != null && UTIL.isValidNumber(number);
          boolean mayBe = PhoneValidity.mayBeValidInternational(text);
          if (valid) {
            assertThat(mayBe).as("%s %s %s", region, type, text).isTrue();
            kept++;
          } else if (!mayBe) {
            ruledOut++;
          }
        }
      }
    }
    assertThat(kept).as("valid numbers").isGreaterThan(1000);
    assertThat(ruledOut).as("invalid numbers ruled out without parsing").isGreaterThan(1000);
  }

  @Test
  void theRegionFilterKeepsEveryExampleNumberWrittenNationallyInItsRegion() {
    int kept = 0;
    int ruledOut = 0;
    for (String region : REGIONS) {
      for (PhoneNumberUtil.PhoneNumberType type : PhoneNumberUtil.PhoneNumberType.values()) {
        Phonenumber.PhoneNumber example = UTIL.getExampleNumberForType(region, type);
        if (example == null) {
          continue;
        }
        String national = UTIL.format(example, PhoneNumberUtil.PhoneNumberFormat.NATIONAL);
        for (String other : List.of(region, "GB", "DE", "FR", "IN", "JP", "BR", "MX", "US", "CA")) {
          Phonenumber.PhoneNumber number = parse(national, other);
          boolean valid = number != null && UTIL.isValidNumberForRegion(number, other);
          boolean mayBe = PhoneValidity.mayBeValidIn(national, other);
          if (number != null && UTIL.isValidNumber(number)) {
            assertThat(PhoneValidity.mayBeValidNumber(national, other))
                .as("%s %s read in %s, any region of its code", national, type, other).isTrue();
          }
          if (valid) {
            assertThat(mayBe).as("%s %s read in %s", national, type, other).isTrue();
            kept++;
          } else if (!mayBe) {
            ruledOut++;
          }
        }
      }
    }
    assertThat(kept).as("valid readings").isGreaterThan(1000);
    assertThat(ruledOut).as("invalid readings ruled out without parsing").isGreaterThan(1000);
  }

  private static Phonenumber.PhoneNumber parse(String text, String region) {
    try {
      return UTIL.parse(text, region);
    } catch (NumberParseException e) {
      return null;
    }
  }
}
