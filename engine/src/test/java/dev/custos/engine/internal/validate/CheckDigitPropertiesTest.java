package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.validator;
import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * For any number body, a check-digit validator accepts exactly one check character (or, where the
 * algorithm leaves some bodies without a valid check, at most one): the check is a function of the
 * body, so a random final character passes only by that one value.
 */
class CheckDigitPropertiesTest {
  private static final String DIGITS = "0123456789";

  private static int passing(String name, String body, String alphabet, String suffix) {
    Validator v = validator(name);
    int n = 0;
    for (int i = 0; i < alphabet.length(); i++) {
      if (v.isValid(body + alphabet.charAt(i) + suffix)) {
        n++;
      }
    }
    return n;
  }

  private static Arbitrary<String> digits(int n) {
    return Arbitraries.strings().withChars(DIGITS).ofLength(n);
  }

  private static Arbitrary<String> nonZeroFirst(int n) {
    return Arbitraries.of('1', '2', '3', '5', '6', '7', '8', '9')
        .flatMap(c -> digits(n - 1).map(rest -> c + rest));
  }

  @Provide
  Arbitrary<String> eightDigits() {
    return nonZeroFirst(8);
  }

  @Provide
  Arbitrary<String> elevenDigits() {
    return digits(11);
  }

  @Provide
  Arbitrary<String> sevenDigits() {
    return digits(7);
  }

  @Provide
  Arbitrary<String> nineDigits() {
    return digits(9);
  }

  @Property(tries = 300)
  void israeliIdHasOneCheckDigit(@ForAll("eightDigits") String body) {
    assertThat(passing("il_teudat_zehut", body, DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void swissAhvHasOneCheckDigit(@ForAll("nineDigits") String body) {
    assertThat(passing("ch_ahv", "756" + body, DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void japaneseMyNumberHasOneCheckDigit(@ForAll("elevenDigits") String body) {
    assertThat(passing("jp_my_number", body, DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void thaiIdHasOneCheckDigit(@ForAll("elevenDigits") String body) {
    assertThat(passing("th_national_id", "3" + body, DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void chineseResidentIdHasOneCheckCharacter(@ForAll("sevenDigits") String body) {
    String id = "110105" + "1990" + "0307" + body.substring(0, 3);
    assertThat(passing("cn_resident_id", id, DIGITS + "X", "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void taiwaneseIdHasOneCheckDigit(
      @ForAll("sevenDigits") String body, @ForAll("letters") char region) {
    assertThat(passing("tw_national_id", region + "1" + body, DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void hongKongIdHasOneCheckCharacter(
      @ForAll("sevenDigits") String body, @ForAll("letters") char prefix) {
    assertThat(passing("hk_hkid", prefix + body.substring(0, 6), DIGITS + "A", "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void chileanRutHasOneCheckCharacter(@ForAll("eightDigits") String body) {
    assertThat(passing("cl_rut", body + "-", DIGITS + "K", "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void irishPpsnHasOneCheckLetter(@ForAll("sevenDigits") String body) {
    assertThat(passing("ie_ppsn", body, "ABCDEFGHIJKLMNOPQRSTUVW", "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void portugueseNifHasOneCheckDigit(@ForAll("eightDigits") String body) {
    assertThat(passing("pt_nif", body, DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void italianPartitaIvaHasOneCheckDigit(@ForAll("sevenDigits") String body) {
    assertThat(passing("it_vat_number", "1" + body.substring(1) + "001", DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void germanVatIdHasOneCheckDigit(@ForAll("eightDigits") String body) {
    assertThat(passing("de_vat_id", "DE" + body, DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void mexicanCurpHasOneCheckDigit(@ForAll("letters") char a, @ForAll("letters") char b) {
    assertThat(passing("mx_curp", a + "A" + b + "G560427MVZRRL0", DIGITS, "")).isEqualTo(1);
  }

  @Property(tries = 300)
  void turkishKimlikHasOnePairOfCheckDigits(@ForAll("eightDigits") String body) {
    Validator v = validator("tr_tc_kimlik");
    int pairs = 0;
    for (int i = 0; i < 100; i++) {
      if (v.isValid(body + "1" + String.format("%02d", i))) {
        pairs++;
      }
    }
    assertThat(pairs).isEqualTo(1);
  }

  @Property(tries = 300)
  void norwegianFodselsnummerHasAtMostOnePairOfCheckDigits(@ForAll("sevenDigits") String body) {
    Validator v = validator("no_fodselsnummer");
    int pairs = 0;
    for (int i = 0; i < 100; i++) {
      if (v.isValid("150390" + body.substring(0, 3) + String.format("%02d", i))) {
        pairs++;
      }
    }
    assertThat(pairs).isLessThanOrEqualTo(1);
  }

  @Property(tries = 300)
  void argentineCuitAndNewZealandIrdHaveAtMostOneCheckDigit(@ForAll("eightDigits") String body) {
    assertThat(passing("ar_cuit", "20" + body, DIGITS, "")).isLessThanOrEqualTo(1);
    assertThat(passing("nz_ird", "0" + body.substring(1), DIGITS, "")).isLessThanOrEqualTo(1);
  }

  @Provide
  Arbitrary<Character> letters() {
    return Arbitraries.chars().range('A', 'Z');
  }
}
