package dev.custos.engine.internal.validate;

import static dev.custos.engine.internal.validate.ValidatorTesting.valid;
import static dev.custos.engine.internal.validate.ValidatorTesting.validator;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The national id, tax id and document number validators added for issue 10: published test
 * vectors (the issuing authority's or the specification's examples) and values computed for their
 * checksum pass; one digit changed, a wrong check digit, an impossible date or a wrong layout fail.
 */
class PersonalIdValidatorsTest {

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    // Germany: BZSt's Steuer-IdNr examples; the Personalausweis specimen (Erika Mustermann).
    "de_tax_id, 86095742719",
    "de_tax_id, 47 036 892 816",
    "de_id_card, T220001293",
    "de_id_card, L01X00T471",
    "de_vat_id, DE136587622",
    "de_vat_id, DE 123456788",
    // France: the INSEE example, a Corsican department (2A counts as 19), a VAT number.
    "fr_nir, 2 55 08 14 168 025 38",
    "fr_nir, 184027512345674",
    "fr_nir, 1 84 02 2A 512 345 18",
    "fr_vat_id, FR83404833048",
    "fr_vat_id, FR 44 732 829 320",
    "it_vat_number, 01234560017",
    "it_vat_number, IT12345670124",
    "be_national_number, 85.07.30-033.28",
    "be_national_number, 01.02.03-123.45", // born 2001: the key is computed with a 2 prefix
    "dk_cpr, 070761-4285",
    "dk_cpr, 290200-4234", // 29 February 2000 (seventh digit 4, year 00: 2000)
    "no_fodselsnummer, 15039000161",
    "no_fodselsnummer, 55039000155", // D-number: day plus 40
    "at_social_security, 1237 010180", // the Hauptverband's example
    "ch_ahv, 756.9217.0769.85", // the AHV/AVS example of the ZAS
    "ch_ahv, 7561234567897",
    "pt_nif, 123456789",
    "pt_nif, 501 000 003",
    "pt_citizen_card, 00000000 0 ZZ4", // the specification's example
    "pt_citizen_card, 123456781ZZ8",
    "ie_ppsn, 1234567T",
    "ie_ppsn, 1234567FA",
    "ie_ppsn, 7654321GW",
    "se_orgnr, 556016-0680",
    "se_orgnr, 16212000-0142",
    "uk_driving_licence, MORGA657054SM9IJ", // DVLA's specimen
    "uk_driving_licence, SMITH710238J99AB",
    "uk_driving_licence, MORGA657054SM9IJ 01",
    "tr_tc_kimlik, 10000000146",
    "tr_tc_kimlik, 12345678950",
    "za_id_number, 8001015009087",
    "za_id_number, 800101 5009 087",
    "za_id_number, 8001015009186", // permanent resident
    "in_gstin, 27AAPFU0939F1ZV",
    "in_gstin, 29ABCPE1234F1Z7",
    "kr_brn, 220-81-62195",
    "kr_brn, 123-45-67891",
    "sg_uen, 53312345D",
    "sg_uen, 201912345K",
    "sg_uen, T09LL0001B",
    "th_national_id, 1-1017-00203-16-6",
    "th_national_id, 3100600445007",
    "cn_resident_id, 11010519491231002X", // GB 11643-1999's example
    "cn_resident_id, 11010519491231002x",
    "cn_resident_id, 320106200002294562",
    "jp_my_number, 123456789018",
    "jp_my_number, 8765 4321 0989",
    "hk_hkid, A123456(3)",
    "hk_hkid, AB987654(3)",
    "hk_hkid, Z683365(A)",
    "tw_national_id, A123456789",
    "tw_national_id, F131267880",
    "il_teudat_zehut, 123456782",
    "il_teudat_zehut, 033702317",
    "nz_ird, 49091850", // Inland Revenue's check digit examples
    "nz_ird, 35901981",
    "nz_ird, 49098576",
    "nz_ird, 136410132", // needs the secondary weights
    "mx_curp, HEGG560427MVZRRL04", // RENAPO's example
    "mx_curp, BADD110313HCMLNS06",
    "mx_rfc, GODE561231GR8", // SAT's example
    "mx_rfc, ABC680524P73",
    "cl_rut, 12.345.678-5",
    "cl_rut, 11.111.112-K",
    "cl_rut, 7654321-6",
    "ar_cuit, 20-12345678-6",
    "ar_cuit, 30712345671"
  })
  void publishedAndComputedValuesPass(String name, String value) {
    assertThat(valid(name, value)).isTrue();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    "de_tax_id, 86095742718", // wrong check digit
    "de_tax_id, 12345678903", // check digit right, but no digit repeats in the first ten
    "de_tax_id, 06095742719", // leading zero
    "de_tax_id, 1115678903", // too short
    "de_id_card, T220001294",
    "de_id_card, A220001290", // A is not in the document number alphabet
    "de_vat_id, DE136587623",
    "de_vat_id, DE036587622",
    "fr_nir, 2 55 08 14 168 025 39",
    "fr_nir, 5 55 08 14 168 025 38", // sex 5 does not exist
    "fr_nir, 2 55 13 14 168 025 38", // month 13
    "fr_nir, 1 84 02 2C 512 345 18",
    "fr_vat_id, FR84404833048",
    "fr_vat_id, FR83404833049",
    "it_vat_number, 01234560018",
    "it_vat_number, 12345678903", // office 890 does not exist
    "it_vat_number, 00000000000",
    "be_national_number, 85.07.30-033.29",
    "be_national_number, 85.13.30-033.28",
    "dk_cpr, 310261-1234", // 31 February
    "dk_cpr, 290201-1234", // 29 February 1901
    "dk_cpr, 0707614285 1",
    "no_fodselsnummer, 15039000162",
    "no_fodselsnummer, 15139000161", // month 13
    "no_fodselsnummer, 01019012345", // first check digit would be 10
    "at_social_security, 1238 010180",
    "at_social_security, 1237 011680", // month 16
    "at_social_security, 0237 010180",
    "ch_ahv, 756.9217.0769.86",
    "ch_ahv, 757.9217.0769.85",
    "pt_nif, 123456788",
    "pt_nif, 423456789", // 4 is not a NIF prefix
    "pt_citizen_card, 00000000 0 ZZ5",
    "pt_citizen_card, 12345678 1 Z18",
    "ie_ppsn, 1234567A",
    "ie_ppsn, 1234567FB",
    "ie_ppsn, 123456T",
    "se_orgnr, 556016-0681",
    "se_orgnr, 811228-9874", // a personnummer: third digit below 2
    "se_orgnr, 456016-0680",
    "uk_driving_licence, MORGA613054SM9IJ", // month 13
    "uk_driving_licence, MORGA657354SM9IJ", // day 35
    "uk_driving_licence, MOR9A657054SM9IJ", // a letter after the 9 padding
    "uk_driving_licence, 9ORGA657054SM9IJ",
    "tr_tc_kimlik, 10000000147",
    "tr_tc_kimlik, 10000000156",
    "tr_tc_kimlik, 00000000146",
    "za_id_number, 8001015009088",
    "za_id_number, 9002295009085", // 29 February 1990 and 2090 do not exist
    "za_id_number, 8001015009384", // citizenship 3
    "za_id_number, 8001015009020", // A digit 2 (8 or 9 since old numbers were reissued)
    "za_id_number, 1709296496123", // an epoch-millisecond timestamp: date and Luhn pass, A is 2
    "in_gstin, 27AAPFU0939F1ZW",
    "in_gstin, 40AAPFU0939F1ZV", // state 40
    "in_gstin, 27AAPXU0939F1ZV", // holder type X
    "kr_brn, 220-81-62196",
    "kr_brn, 000-81-62195",
    "sg_uen, T09QQ0001B",
    "sg_uen, 170012345A", // year 1700
    "sg_uen, 5331234D",
    "th_national_id, 1-1017-00203-16-7",
    "th_national_id, 9-1017-00203-16-6",
    "cn_resident_id, 110105194912310021",
    "cn_resident_id, 110105194902300025", // 30 February
    "cn_resident_id, 91010519491231002X",
    "jp_my_number, 123456789019",
    "jp_my_number, 12345678901",
    "hk_hkid, A123456(4)",
    "hk_hkid, AB987654(2)",
    "hk_hkid, 1123456(3)",
    "tw_national_id, A123456788",
    "tw_national_id, A323456789", // sex digit 3
    "il_teudat_zehut, 123456783",
    "il_teudat_zehut, 000000000",
    "nz_ird, 136410133",
    "nz_ird, 9125568", // below the range
    "nz_ird, 150000007",
    "mx_curp, HEGG560427MVZRRL05",
    "mx_curp, HEGG560427MXXRRL04", // state XX
    "mx_curp, HEGG560231MVZRRL04", // 31 February
    "mx_rfc, GODE561231GR9",
    "mx_rfc, XAXX010101000", // SAT's generic RFC carries no valid check character
    "mx_rfc, GODE561331GR8",
    "cl_rut, 12.345.678-6",
    "cl_rut, 11.111.112-0",
    "ar_cuit, 20-12345678-7",
    "ar_cuit, 21-12345678-6"
  })
  void nearMissesFail(String name, String value) {
    assertThat(valid(name, value)).isFalse();
  }

  static Stream<Arguments> substitutionDetected() {
    return Stream.of(
        Arguments.of("de_tax_id", "86095742719"),
        Arguments.of("de_id_card", "T220001293"),
        Arguments.of("de_vat_id", "DE136587622"),
        Arguments.of("fr_nir", "255081416802538"),
        Arguments.of("fr_vat_id", "FR83404833048"),
        Arguments.of("it_vat_number", "01234560017"),
        Arguments.of("no_fodselsnummer", "15039000161"),
        Arguments.of("at_social_security", "1237010180"),
        Arguments.of("ch_ahv", "7569217076985"),
        Arguments.of("pt_citizen_card", "123456781ZZ8"),
        Arguments.of("ie_ppsn", "1234567T"),
        Arguments.of("se_orgnr", "5560160680"),
        Arguments.of("tr_tc_kimlik", "10000000146"),
        Arguments.of("za_id_number", "8001015009087"),
        Arguments.of("in_gstin", "27AAPFU0939F1ZV"),
        Arguments.of("cn_resident_id", "11010519491231002X"),
        Arguments.of("hk_hkid", "A123456(3)"),
        Arguments.of("il_teudat_zehut", "123456782"),
        Arguments.of("cl_rut", "12.345.678-5"),
        Arguments.of("ar_cuit", "20-12345678-6"));
  }

  /** Checks whose algorithm detects every single-digit error reject each such change. */
  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("substitutionDetected")
  void everySingleDigitChangeIsRejected(String name, String value) {
    Validator v = validator(name);
    assertThat(v.isValid(value)).isTrue();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        continue;
      }
      for (char r = '0'; r <= '9'; r++) {
        if (r != c) {
          String changed = value.substring(0, i) + r + value.substring(i + 1);
          assertThat(v.isValid(changed)).as("%s with position %d changed: %s", name, i, changed).isFalse();
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "de_tax_id", "de_id_card", "de_vat_id", "fr_nir", "fr_vat_id", "it_vat_number",
    "be_national_number", "no_fodselsnummer", "at_social_security", "ch_ahv", "pt_nif",
    "pt_citizen_card", "ie_ppsn", "se_orgnr", "tr_tc_kimlik", "za_id_number", "in_gstin", "kr_brn",
    "th_national_id", "cn_resident_id", "jp_my_number", "hk_hkid", "tw_national_id",
    "il_teudat_zehut", "nz_ird", "mx_curp", "mx_rfc", "cl_rut", "ar_cuit"
  })
  void checkDigitValidatorsConfirmAMatch(String name) {
    assertThat(validator(name).confirms()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"dk_cpr", "uk_driving_licence", "sg_uen", "phone_number"})
  void structuralChecksDoNotConfirm(String name) {
    assertThat(validator(name).confirms()).isFalse();
  }
}
