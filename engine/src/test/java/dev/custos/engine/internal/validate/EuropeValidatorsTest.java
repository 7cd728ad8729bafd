package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EuropeValidatorsTest {
  @ParameterizedTest
  @ValueSource(strings = {"AB123456C", "AB 12 34 56 C", "JG103759A", "ab123456d"})
  void ninoAcceptsWellFormedNumbers(String value) {
    assertThat(valid("uk_nino", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "QQ123456C", // Q not allowed as first letter (HMRC's specimen)
        "DA123456C",
        "AO123456C", // O not allowed as second letter
        "GB123456A",
        "NK123456A",
        "ZZ123456A",
        "AB123456E", // suffix beyond D
        "AB12345C",
        "AB-123456-C"
      })
  void ninoWithDisallowedPrefixSuffixOrLengthIsRejected(String value) {
    assertThat(valid("uk_nino", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"9434765919", "943 476 5919", "943-476-5919"})
  void nhsAcceptsThePublishedExample(String value) {
    assertThat(valid("uk_nhs", value)).isTrue();
  }

  @Test
  void nhsWithOneDigitChangedIsRejected() {
    assertThat(valid("uk_nhs", "9434765918")).isFalse();
    assertThat(valid("uk_nhs", "943476591")).isFalse();
  }

  @Test
  void nhsWhoseCheckWouldBeTenIsRejected() {
    // Every nine-digit stem whose check would be 10 is unusable, whatever tenth digit follows.
    int invalidTens = 0;
    for (int n = 0; n < 2000; n++) {
      String nine = String.format("%09d", n);
      int sum = 0;
      for (int i = 0; i < 9; i++) {
        sum += (nine.charAt(i) - '0') * (10 - i);
      }
      if (11 - sum % 11 == 10) {
        invalidTens++;
        for (int c = 0; c <= 9; c++) {
          assertThat(valid("uk_nhs", nine + c)).isFalse();
        }
      }
    }
    assertThat(invalidTens).isPositive();
  }

  @ParameterizedTest
  @ValueSource(strings = {"12345678Z", "12345678-Z", "12.345.678-Z", "12345678z"})
  void nifAcceptsCorrectControlLetter(String value) {
    assertThat(valid("es_nif", value)).isTrue();
  }

  @Test
  void nifWithWrongLetterOrLengthIsRejected() {
    assertThat(valid("es_nif", "12345678A")).isFalse();
    assertThat(valid("es_nif", "12345679Z")).isFalse();
    assertThat(valid("es_nif", "1234567Z")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"X1234567L", "X-1234567-L", "Y1234567X", "Z1234567R"})
  void nieAcceptsCorrectControlLetter(String value) {
    assertThat(valid("es_nie", value)).isTrue();
  }

  @Test
  void nieWithWrongPrefixOrLetterIsRejected() {
    assertThat(valid("es_nie", "X1234567A")).isFalse();
    assertThat(valid("es_nie", "W1234567L")).isFalse();
    assertThat(valid("es_nie", "X123456L")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"RSSMRA85T10A562S", "rssmra85t10a562s", "MRTMTT25D09F205Z"})
  void fiscalCodeAcceptsPublishedExamples(String value) {
    assertThat(valid("it_fiscal_code", value)).isTrue();
  }

  @Test
  void fiscalCodeWithOmocodiaSubstitutionsIsAccepted() {
    // 85 -> RT (8 -> U, 5 -> R) changes the check character; computed from the tables.
    assertThat(valid("it_fiscal_code", "RSSMRAURT10A562" + fiscalCheck("RSSMRAURT10A562")))
        .isTrue();
  }

  @Test
  void fiscalCodeWithWrongCheckCharacterOrMonthIsRejected() {
    assertThat(valid("it_fiscal_code", "RSSMRA85T10A562T")).isFalse();
    assertThat(valid("it_fiscal_code", "RSSMRA85T10A563S")).isFalse();
    assertThat(valid("it_fiscal_code", "RSSMRA85F10A562" + fiscalCheck("RSSMRA85F10A562")))
        .isFalse();
    assertThat(valid("it_fiscal_code", "RSSMRA85T10A562")).isFalse();
  }

  @Test
  void fiscalCodeWithImpossibleDayIsRejected() {
    assertThat(valid("it_fiscal_code", "RSSMRA85T32A562" + fiscalCheck("RSSMRA85T32A562")))
        .isFalse();
  }

  private static char fiscalCheck(String first15) {
    int[] odd = {
      1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23
    };
    int sum = 0;
    for (int i = 0; i < 15; i++) {
      char c = first15.charAt(i);
      int v = Character.isDigit(c) ? c - '0' : c - 'A';
      sum += i % 2 == 0 ? odd[v] : v;
    }
    return (char) ('A' + sum % 26);
  }

  @ParameterizedTest
  @ValueSource(strings = {"44051401359", "02070803628", "02270803624"})
  void peselAcceptsValidNumbers(String value) {
    assertThat(valid("pl_pesel", value)).isTrue();
  }

  @Test
  void peselWithOneDigitChangedIsRejected() {
    assertThat(valid("pl_pesel", "44051401358")).isFalse();
  }

  @Test
  void peselWithImpossibleDateIsRejected() {
    // Month 13, and 30 February; check digits computed so only the date is wrong.
    assertThat(valid("pl_pesel", "44131401350")).isFalse();
    assertThat(valid("pl_pesel", "44023001356")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"811218-9876", "8112189876", "19811218-9876", "198112189876", "811218+9876"})
  void personnummerAcceptsSkatteverketExample(String value) {
    assertThat(valid("se_personnummer", value)).isTrue();
  }

  @Test
  void samordningsnummerWithDayPlusSixtyIsAccepted() {
    // 811278-xxxx: day 18 + 60; the Luhn digit recomputed.
    assertThat(valid("se_personnummer", "811278-9873")).isTrue();
  }

  @Test
  void personnummerWithOneDigitChangedOrBadDateIsRejected() {
    assertThat(valid("se_personnummer", "811218-9877")).isFalse();
    assertThat(valid("se_personnummer", "811318-9875")).isFalse();
    assertThat(valid("se_personnummer", "81121-89876")).isFalse();
    assertThat(valid("se_personnummer", "81121898")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"131052-308T", "131052A308T", "131052-308t"})
  void hetuAcceptsThePublishedExample(String value) {
    assertThat(valid("fi_hetu", value)).isTrue();
  }

  @Test
  void hetuWithWrongCheckCharacterSignOrDateIsRejected() {
    assertThat(valid("fi_hetu", "131052-308U")).isFalse();
    assertThat(valid("fi_hetu", "131052G308T")).isFalse();
    assertThat(valid("fi_hetu", "311352-308T")).isFalse();
    assertThat(valid("fi_hetu", "131052-30T")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"111222333", "123456782", "1112.22.333"})
  void bsnAcceptsElevenProofNumbers(String value) {
    assertThat(valid("nl_bsn", value)).isTrue();
  }

  @Test
  void bsnWithOneDigitChangedOrAllZerosIsRejected() {
    assertThat(valid("nl_bsn", "111222334")).isFalse();
    assertThat(valid("nl_bsn", "000000000")).isFalse();
    assertThat(valid("nl_bsn", "11122233")).isFalse();
  }
}
