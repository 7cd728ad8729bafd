package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AsiaPacificAmericasValidatorsTest {
  @ParameterizedTest
  @ValueSource(strings = {"130 692 544", "130-692-544", "130692544"})
  void sinAcceptsLuhnValidNumbers(String value) {
    assertThat(valid("ca_sin", value)).isTrue();
  }

  @Test
  void sinStartingWithZeroOrEightIsRejectedEvenIfLuhnHolds() {
    // 046 454 286 is the Government of Canada's specimen: Luhn-valid but never issued.
    assertThat(valid("luhn", "046454286")).isTrue();
    assertThat(valid("ca_sin", "046 454 286")).isFalse();
    assertThat(valid("luhn", "830692547")).isTrue();
    assertThat(valid("ca_sin", "830692547")).isFalse();
  }

  @Test
  void sinWithOneDigitChangedIsRejected() {
    assertThat(valid("ca_sin", "130692545")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"123 456 782", "123456782", "12345677"})
  void tfnAcceptsNineAndEightDigitNumbers(String value) {
    assertThat(valid("au_tfn", value)).isTrue();
  }

  @Test
  void tfnWithOneDigitChangedOrWrongLengthIsRejected() {
    assertThat(valid("au_tfn", "123456783")).isFalse();
    assertThat(valid("au_tfn", "12345678")).isFalse();
    assertThat(valid("au_tfn", "1234567")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"51 824 753 556", "51824753556"})
  void abnAcceptsTheAtoExample(String value) {
    assertThat(valid("au_abn", value)).isTrue();
  }

  @Test
  void abnWithOneDigitChangedIsRejected() {
    assertThat(valid("au_abn", "51824753557")).isFalse();
    assertThat(valid("au_abn", "5182475355")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"000 000 019", "004 085 616", "010 499 966"})
  void acnAcceptsAsicExamples(String value) {
    assertThat(valid("au_acn", value)).isTrue();
  }

  @Test
  void acnWithOneDigitChangedIsRejected() {
    assertThat(valid("au_acn", "004 085 617")).isFalse();
    assertThat(valid("au_acn", "000 000 000")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"2123456701", "2123 45670 1", "21234567011"})
  void medicareAcceptsCorrectCheckDigitWithIssueNumber(String value) {
    // 2*1 + 1*3 + 2*7 + 3*9 + 4*1 + 5*3 + 6*7 + 7*9 = 170, check digit 0.
    assertThat(valid("au_medicare", value)).isTrue();
  }

  @Test
  void medicareWithWrongCheckDigitFirstDigitOrLengthIsRejected() {
    assertThat(valid("au_medicare", "2123456711")).isFalse();
    assertThat(valid("au_medicare", "7123456701")).isFalse();
    assertThat(valid("au_medicare", "212345670")).isFalse();
  }

  @Test
  void verhoeffMatchesThePublishedExamples() {
    assertThat(InAadhaar.verhoeff(new int[] {2, 3, 6, 3})).isTrue();
    assertThat(InAadhaar.verhoeff(new int[] {1, 2, 3, 4, 5, 1})).isTrue();
    assertThat(InAadhaar.verhoeff(new int[] {2, 3, 6, 4})).isFalse();
    assertThat(InAadhaar.verhoeff(new int[] {2, 6, 3, 3})).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"234123412346", "2341 2341 2346", "499118665246"})
  void aadhaarAcceptsVerhoeffValidNumbers(String value) {
    assertThat(valid("in_aadhaar", value)).isTrue();
  }

  @Test
  void aadhaarWithOneDigitChangedSwappedOrLeadingZeroOrOneIsRejected() {
    assertThat(valid("in_aadhaar", "234123412347")).isFalse();
    assertThat(valid("in_aadhaar", "234123412364")).isFalse();
    assertThat(valid("in_aadhaar", "23412341234")).isFalse();
    // 1 and 0 never start an Aadhaar number, whatever the check digit.
    for (int c = 0; c <= 9; c++) {
      assertThat(valid("in_aadhaar", "13412341234" + c)).isFalse();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ABCPE1234F", "AAACB1234C", "abcpe1234f"})
  void panAcceptsKnownHolderTypes(String value) {
    assertThat(valid("in_pan", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ABCXE1234F", "ABCPE12345", "ABCP1234F", "1BCPE1234F"})
  void panWithUnknownHolderTypeOrLayoutIsRejected(String value) {
    assertThat(valid("in_pan", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"S1234567D", "T1234567J", "F1234567N", "G1234567X", "M1234567K"})
  void nricAcceptsCheckLettersOfEachSeries(String value) {
    assertThat(valid("sg_nric", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"S1234567A", "T1234567D", "F1234567D", "M1234567X", "A1234567D", "S123456D"})
  void nricWithWrongLetterOrSeriesIsRejected(String value) {
    assertThat(valid("sg_nric", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"800101-1234560", "8001011234560", "010101-3123458"})
  void rrnAcceptsChecksumValidNumbers(String value) {
    assertThat(valid("kr_rrn", value)).isTrue();
  }

  @Test
  void rrnWithOneDigitChangedBadDateOrGenderDigitIsRejected() {
    assertThat(valid("kr_rrn", "800101-1234561")).isFalse();
    assertThat(valid("kr_rrn", "801301-1234567")).isFalse();
    assertThat(valid("kr_rrn", "800101-9234560")).isFalse();
    assertThat(valid("kr_rrn", "800101-123456")).isFalse();
  }

  @Test
  void rrnWithImpossibleDateForCenturyIsRejected() {
    // 29 February 1900 does not exist (gender digit 1 = 1900s), 29 February 2000 does.
    assertThat(valid("kr_rrn", "000229-3" + rrnTail("0002293"))).isTrue();
    assertThat(valid("kr_rrn", "000229-1" + rrnTail("0002291"))).isFalse();
  }

  private static String rrnTail(String first7) {
    String stem = first7 + "12345";
    int[] w = {2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5};
    int sum = 0;
    for (int i = 0; i < 12; i++) {
      sum += (stem.charAt(i) - '0') * w[i];
    }
    return "12345" + (11 - sum % 11) % 10;
  }

  @ParameterizedTest
  @ValueSource(strings = {"529.982.247-25", "52998224725", "111.444.777-35"})
  void cpfAcceptsValidNumbers(String value) {
    assertThat(valid("br_cpf", value)).isTrue();
  }

  @Test
  void cpfWithOneDigitChangedOrAllSameDigitsIsRejected() {
    assertThat(valid("br_cpf", "529.982.247-26")).isFalse();
    assertThat(valid("br_cpf", "529.982.248-25")).isFalse();
    assertThat(valid("br_cpf", "111.111.111-11")).isFalse();
    assertThat(valid("br_cpf", "000.000.000-00")).isFalse();
  }
}
