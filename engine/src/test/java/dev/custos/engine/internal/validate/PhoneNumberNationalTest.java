package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import com.google.i18n.phonenumbers.Phonenumber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The phone_number_national validator: every configured region's example numbers, written in that
 * region's national format, pass and report their region; dates, times, versions, amounts and
 * truncated numbers fail; other regions are configured by name.
 */
class PhoneNumberNationalTest {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();
  private static final Validator DEFAULT = Validators.byName("phone_number_national");

  @Test
  void everyDefaultRegionsExampleNumbersWithATrunkPrefixPassInNationalFormat() {
    int checked = 0;
    for (String region : PhoneNumberNational.DEFAULT_REGIONS) {
      for (PhoneNumberType type : new PhoneNumberType[] {PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE}) {
        Phonenumber.PhoneNumber n = UTIL.getExampleNumberForType(region, type);
        if (n == null) {
          continue;
        }
        String national = UTIL.format(n, PhoneNumberFormat.NATIONAL);
        if (!national.startsWith("0") && !national.startsWith("(0")) {
          continue; // no trunk prefix (PL, ES, DK…): read by the amount rule as a possible amount
        }
        assertThat(DEFAULT.isValid(national)).as("%s %s", region, national).isTrue();
        String qualifier = DEFAULT.qualifier(national);
        assertThat(qualifier).as("%s %s", region, national).isIn(PhoneNumberNational.DEFAULT_REGIONS);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(25);
  }

  @ParameterizedTest
  @CsvSource({
    "020 7946 0958, GB",
    "030 1234567, DE",
    "01 23 45 67 89, FR",
    "098765 43210, IN",
    "06 12 34 56 78, FR",
    "(030) 1234567, DE",
  })
  void nationalNumbersReportTheRegionWhoseFormatTheyAreWrittenIn(String number, String region) {
    assertThat(DEFAULT.isValid(number)).as(number).isTrue();
    assertThat(DEFAULT.qualifier(number)).as(number).isEqualTo(region);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2023-11-14", "14.11.2023", "14/11/23", "01.02.2023", // dates
        "12:30:45", "0 12:30", // times
        "10.9.194.9", "1.2.3", // versions
        "1.234.567,89", "1 234 567.50", "12 345 678", // amounts
        "020 7946", "030 12", // truncated
        "+44 20 7946 0958", // international: another validator's
        "0000 000000", "",
      })
  void datesTimesVersionsAmountsAndTruncatedNumbersFail(String value) {
    assertThat(valid("phone_number_national", value)).as(value).isFalse();
  }

  @Test
  void regionsAreConfiguredByName() {
    Validator germany = Validators.byName("phone_number_national(de)");
    assertThat(germany).isNotNull();
    assertThat(germany.name()).isEqualTo("phone_number_national(de)");
    assertThat(germany.isValid("030 1234567")).isTrue();
    assertThat(germany.qualifier("030 1234567")).isEqualTo("DE");
    assertThat(germany.isValid("020 7946 0958")).isFalse();
    assertThat(Validators.byName("phone_number_national(GB,IE)").qualifier("020 7946 0958")).isEqualTo("GB");
    assertThat(Validators.byName("phone_number_national(XX)")).isNull();
    assertThat(Validators.byName("phone_number_national(GB,GB)")).isNull();
    assertThat(Validators.byName("phone_number_national()")).isNull();
  }

  @Test
  void theE164ValidatorReportsTheRegionToo() {
    assertThat(Validators.byName("phone_number").qualifier("+44 20 7946 0958")).isEqualTo("GB");
    assertThat(Validators.byName("phone_number").qualifier("(415) 555-2671")).isEqualTo("US");
  }
}
