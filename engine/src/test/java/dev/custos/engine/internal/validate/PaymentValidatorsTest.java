package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PaymentValidatorsTest {
  @ParameterizedTest
  @ValueSource(strings = {"79927398713", "4111111111111111", "4111 1111 1111 1111"})
  void luhnAcceptsPublishedExamples(String value) {
    assertThat(valid("luhn", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"79927398710", "4111111111111112", "", "7", "abc"})
  void luhnRejectsWrongCheckDigitAndTooFewDigits(String value) {
    assertThat(valid("luhn", value)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "4111111111111111", // Visa
        "4222222222222", // Visa, 13 digits
        "4111-1111-1111-1111",
        "4111 1111 1111 1111",
        "5555555555554444", // Mastercard
        "5105105105105100",
        "2223003122003222", // Mastercard 2-series
        "378282246310005", // American Express
        "6011111111111117", // Discover
        "30569309025904", // Diners Club
        "3530111333300000", // JCB
        "6200000000000005", // UnionPay
        "6759649826438453" // Maestro
      })
  void creditCardAcceptsPublishedTestCardNumbers(String value) {
    assertThat(valid("credit_card", value)).isTrue();
  }

  @Test
  void creditCardWithOneDigitChangedIsRejected() {
    assertThat(valid("credit_card", "4111111111111112")).isFalse();
    assertThat(valid("credit_card", "378282246310006")).isFalse();
  }

  @Test
  void creditCardWithUnknownIssuerPrefixIsRejectedEvenIfLuhnHolds() {
    assertThat(valid("luhn", "1234567812345670")).isTrue();
    assertThat(valid("credit_card", "1234567812345670")).isFalse();
  }

  @Test
  void creditCardWithBrandLengthMismatchIsRejected() {
    // Amex prefix with 16 digits (Luhn-valid), Mastercard prefix with 15 digits.
    assertThat(valid("luhn", "3782822463100003")).isTrue();
    assertThat(valid("credit_card", "3782822463100003")).isFalse();
    assertThat(valid("luhn", "510510510510507")).isTrue();
    assertThat(valid("credit_card", "510510510510507")).isFalse();
  }

  @Test
  void creditCardOutsideThirteenToNineteenDigitsIsRejected() {
    assertThat(valid("credit_card", "4111111111119")).isTrue();
    assertThat(valid("credit_card", "411111111117")).isFalse();
    assertThat(valid("credit_card", "41111111111111111115")).isFalse();
  }

  @Test
  void creditCardWithLettersIsRejected() {
    assertThat(valid("credit_card", "4111x111111111111")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "CH9300762011623852957",
        "FR1420041010050500013M02606",
        "NO9386011117947",
        "MT84MALT011000012345MTLCAST001S"
      })
  void ibanAcceptsPublishedExamples(String value) {
    assertThat(valid("iban", value)).isTrue();
  }

  @Test
  void ibanWithOneDigitChangedIsRejected() {
    assertThat(valid("iban", "GB82WEST12345698765431")).isFalse();
    assertThat(valid("iban", "DE89370400440532013001")).isFalse();
  }

  @Test
  void ibanWithWrongCheckDigitsIsRejected() {
    assertThat(valid("iban", "GB83WEST12345698765432")).isFalse();
    assertThat(valid("iban", "GB00WEST12345698765432")).isFalse();
  }

  @Test
  void ibanWithWrongLengthForCountryIsRejected() {
    assertThat(valid("iban", "GB82WEST1234569876543")).isFalse();
    assertThat(valid("iban", "DE8937040044053201300")).isFalse();
  }

  @Test
  void ibanWithUnknownCountryIsRejected() {
    assertThat(valid("iban", "QQ82WEST12345698765432")).isFalse();
  }

  @Test
  void ibanWithDisallowedSeparatorsIsRejected() {
    assertThat(valid("iban", "GB82-WEST-1234-5698-7654-32")).isFalse();
  }

  @Test
  void abaRoutingAcceptsFederalReserveAndBankNumbers() {
    assertThat(valid("aba_routing", "011000015")).isTrue();
    assertThat(valid("aba_routing", "021000021")).isTrue();
  }

  @Test
  void abaRoutingWithOneDigitChangedIsRejected() {
    assertThat(valid("aba_routing", "021000022")).isFalse();
  }

  @Test
  void abaRoutingWithUnassignedPrefixIsRejected() {
    // 13 is outside 00-12, 21-32, 61-72, 80; the weighted sum still ends in 0.
    assertThat(valid("aba_routing", "131000018")).isFalse();
    assertThat(valid("aba_routing", "000000000")).isFalse();
    assertThat(valid("aba_routing", "02100002")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"490154203237518", "35-209900-176148-1", "35 209900 176148 1"})
  void imeiAcceptsPublishedExamples(String value) {
    assertThat(valid("imei", value)).isTrue();
  }

  @Test
  void imeiWithOneDigitChangedOrWrongLengthOrAllZerosIsRejected() {
    assertThat(valid("imei", "490154203237519")).isFalse();
    assertThat(valid("imei", "4901542032375180")).isFalse();
    assertThat(valid("imei", "49015420323751")).isFalse();
    assertThat(valid("imei", "000000000000000")).isFalse();
  }
}
