package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class UsValidatorsTest {
  @ParameterizedTest
  @ValueSource(strings = {"078-05-1120", "078051120", "078 05 1120", "536-90-4399"})
  void ssnAcceptsWellFormedNumbersIncludingOurCanary(String value) {
    assertThat(valid("us_ssn", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"000-12-3456", "666-12-3456", "900-12-3456", "999-12-3456"})
  void ssnWithUnassignableAreaIsRejected(String value) {
    assertThat(valid("us_ssn", value)).isFalse();
  }

  @Test
  void ssnWithZeroGroupOrSerialIsRejected() {
    assertThat(valid("us_ssn", "123-00-4567")).isFalse();
    assertThat(valid("us_ssn", "123-45-0000")).isFalse();
  }

  @Test
  void ssnPublishedPlaceholdersAreRejected() {
    assertThat(valid("us_ssn", "123-45-6789")).isFalse();
    assertThat(valid("us_ssn", "219-09-9999")).isFalse();
  }

  @Test
  void ssnWithWrongLengthOrLettersIsRejected() {
    assertThat(valid("us_ssn", "078-05-112")).isFalse();
    assertThat(valid("us_ssn", "078-05-11200")).isFalse();
    assertThat(valid("us_ssn", "078-O5-1120")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"912-70-1234", "900-50-0000", "999-99-9999", "912 94 1234", "912651234"})
  void itinAcceptsNinesWithAssignedGroups(String value) {
    assertThat(valid("us_itin", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"912-45-1234", "912-66-1234", "912-89-1234", "912-93-1234", "812-70-1234"})
  void itinWithUnassignedGroupOrNotStartingWithNineIsRejected(String value) {
    assertThat(valid("us_itin", value)).isFalse();
  }

  @Test
  void npiAcceptsTheCmsExample() {
    assertThat(valid("us_npi", "1234567893")).isTrue();
  }

  @Test
  void npiWithOneDigitChangedOrWrongLengthIsRejected() {
    assertThat(valid("us_npi", "1234567894")).isFalse();
    assertThat(valid("us_npi", "123456789")).isFalse();
    assertThat(valid("us_npi", "12345678930")).isFalse();
  }

  @Test
  void deaAcceptsCorrectCheckDigit() {
    // 1+3+5 + 2*(2+4+6) = 33, check digit 3.
    assertThat(valid("us_dea", "AB1234563")).isTrue();
    assertThat(valid("us_dea", "FK1234563")).isTrue();
  }

  @Test
  void deaWithWrongCheckDigitOrRegistrantTypeIsRejected() {
    assertThat(valid("us_dea", "AB1234564")).isFalse();
    assertThat(valid("us_dea", "IB1234563")).isFalse();
    assertThat(valid("us_dea", "A11234563")).isFalse();
    assertThat(valid("us_dea", "AB123456")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"1EG4-TE5-MK73", "1EG4TE5MK73"})
  void mbiAcceptsTheCmsExample(String value) {
    assertThat(valid("us_mbi", value)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "0EG4-TE5-MK73", // position 1 may not be 0
        "1SG4-TE5-MK73", // S is excluded
        "1EG4-TE5-MK7", // too short
        "1EGA-TE5-MK73", // position 4 must be a digit
        "1EG-4TE5-MK73" // dash in the wrong place
      })
  void mbiWithWrongCharacterClassOrLayoutIsRejected(String value) {
    assertThat(valid("us_mbi", value)).isFalse();
  }

  @Test
  void einAcceptsValidCampusPrefixes() {
    assertThat(valid("us_ein", "12-3456789")).isTrue();
    assertThat(valid("us_ein", "98-7654321")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"00-1234567", "07-1234567", "49-1234567", "89-1234567", "97-1234567"})
  void einWithUnusedPrefixIsRejected(String value) {
    assertThat(valid("us_ein", value)).isFalse();
  }

  @Test
  void einWithWrongLengthIsRejected() {
    assertThat(valid("us_ein", "12-345678")).isFalse();
  }
}
