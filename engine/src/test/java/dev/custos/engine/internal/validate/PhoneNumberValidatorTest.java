package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import com.google.i18n.phonenumbers.Phonenumber;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The phone_number validator keeps what libphonenumber declares valid: every region's example
 * numbers (fixed line and mobile, E.164 and international format) pass, and dates, versions,
 * unassigned country codes, N11 area codes and truncated numbers fail.
 */
class PhoneNumberValidatorTest {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

  private static List<Phonenumber.PhoneNumber> exampleNumbers() {
    List<Phonenumber.PhoneNumber> out = new ArrayList<>();
    for (String region : UTIL.getSupportedRegions()) {
      for (PhoneNumberType type : new PhoneNumberType[] {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE}) {
        Phonenumber.PhoneNumber n = UTIL.getExampleNumberForType(region, type);
        if (n != null) {
          out.add(n);
        }
      }
    }
    return out;
  }

  @Test
  void everyRegionsExampleNumbersPassInE164AndInternationalFormat() {
    List<Phonenumber.PhoneNumber> examples = exampleNumbers();
    assertThat(examples).hasSizeGreaterThan(400);
    for (Phonenumber.PhoneNumber n : examples) {
      String e164 = UTIL.format(n, PhoneNumberFormat.E164);
      String international = UTIL.format(n, PhoneNumberFormat.INTERNATIONAL);
      assertThat(valid("phone_number", e164)).as(e164).isTrue();
      assertThat(valid("phone_number", international)).as(international).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"CA", "US", "PR", "JM"})
  void northAmericanNumbersPassInNationalFormatWithoutCountryCode(String region) {
    Phonenumber.PhoneNumber n = UTIL.getExampleNumberForType(region, PhoneNumberType.FIXED_LINE);
    String national = UTIL.format(n, PhoneNumberFormat.NATIONAL);
    assertThat(valid("phone_number", national)).as(national).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "+20151223", // a date after a plus sign
        "+2015-12-23",
        "+2015.12.23",
        "+19991231",
        "10.9.194.9", // a version
        "1.415.555.2.671",
        "+999 20 7946 0958", // country code 999 is not assigned
        "+1 211 555 2671", // N11 codes are not area codes
        "(211) 555-2671",
        "+44 20 7946 09", // too short for a London number
        "+1 415 555 267",
        "+0 415 555 2671",
        "phone",
        ""
      })
  void datesVersionsAndImpossibleNumbersFail(String value) {
    assertThat(valid("phone_number", value)).isFalse();
  }

  @Test
  void candidatesLongerThanAnyPhoneNumberFailWithoutParsing() {
    assertThat(valid("phone_number", "+1 415 555 2671" + " 0".repeat(20))).isFalse();
  }

  @Test
  void dottedGroupsOfTwoOrMoreDigitsAreNotAVersion() {
    assertThat(PhoneNumber.looksLikeVersion("415.555.2671")).isFalse();
    assertThat(PhoneNumber.looksLikeVersion("+1.415.555.2671")).isFalse();
    assertThat(PhoneNumber.looksLikeVersion("1.415.555.2671")).isFalse();
    assertThat(PhoneNumber.looksLikeVersion("10.9.194.9")).isTrue();
    assertThat(valid("phone_number", "415.555.2671")).isTrue();
  }

  @Test
  void aPlusFollowedByDigitsThatAreNoDateIsParsed() {
    assertThat(PhoneNumber.looksLikeDate("+20151323")).isFalse(); // month 13
    assertThat(PhoneNumber.looksLikeDate("+2015-12-23")).isTrue();
    assertThat(valid("phone_number", "+14155552671")).isTrue();
  }
}
