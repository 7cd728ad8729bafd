package dev.custos.engine.internal.validate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ValidatorsTest {
  private static final String[] NAMES = {
    "luhn", "credit_card", "iban", "us_ssn", "us_itin", "aba_routing", "us_npi", "us_dea",
    "us_mbi", "us_ein", "uk_nino", "uk_nhs", "es_nif", "es_nie", "it_fiscal_code", "pl_pesel",
    "se_personnummer", "fi_hetu", "nl_bsn", "ca_sin", "au_tfn", "au_abn", "au_acn", "au_medicare",
    "in_aadhaar", "in_pan", "sg_nric", "kr_rrn", "br_cpf", "imei", "bitcoin_address",
    "ethereum_address", "date", "ipv4", "jwt", "private_key", "gcp_service_account_key",
    "mac_address", "not_repeated", "phone_number", "phone_number_national", "de_tax_id", "de_id_card", "de_vat_id",
    "fr_nir", "fr_vat_id", "it_vat_number", "be_national_number", "dk_cpr", "no_fodselsnummer",
    "at_social_security", "ch_ahv", "pt_nif", "pt_citizen_card", "ie_ppsn", "se_orgnr",
    "uk_driving_licence", "tr_tc_kimlik", "za_id_number", "in_gstin", "kr_brn", "sg_uen",
    "th_national_id", "cn_resident_id", "jp_my_number", "hk_hkid", "tw_national_id",
    "il_teudat_zehut", "nz_ird", "mx_curp", "mx_rfc", "cl_rut", "ar_cuit", "crc32_base62",
    "random_token"
  };

  @Test
  void registryContainsEveryCatalogName() {
    assertThat(Validators.names()).containsExactlyInAnyOrder(NAMES);
  }

  @Test
  void eachValidatorIsRegisteredUnderItsOwnName() {
    for (String name : Validators.names()) {
      Validator v = ValidatorTesting.validator(name);
      assertThat(v.name()).isEqualTo(name);
    }
  }

  @Test
  void unknownNameIsAbsent() {
    assertThat(Validators.byName("no_such_validator")).isNull();
  }

  @Test
  void namesCannotBeModified() {
    assertThatCode(() -> Validators.names().remove("luhn"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void hugeAndEmptyValuesAreRejectedWithoutThrowing() {
    String huge = "4".repeat(5_000_000) + "1"; // Luhn sum 30,000,001
    String hugeMixed = "-----BEGIN PRIVATE KEY-----\n" + "A:\n".repeat(1_000_000);
    for (String name : Validators.names()) {
      Validator v = ValidatorTesting.validator(name);
      assertThat(v.isValid("")).as(name).isFalse();
      // not_repeated only guards against placeholders, and these are not placeholders.
      boolean expected = name.equals("not_repeated");
      assertThat(v.isValid(huge)).as(name).isEqualTo(expected);
      assertThat(v.isValid(hugeMixed)).as(name).isEqualTo(expected);
    }
  }

  @Property(tries = 3000)
  void noValidatorThrowsOnArbitraryStrings(@ForAll("anyText") String value) {
    for (String name : Validators.names()) {
      Validator v = ValidatorTesting.validator(name);
      assertThatCode(() -> v.isValid(value)).as(name).doesNotThrowAnyException();
    }
  }

  @Provide
  Arbitrary<String> anyText() {
    Arbitrary<String> unicode = Arbitraries.strings().ofMaxLength(120);
    Arbitrary<String> idLike =
        Arbitraries.strings()
            .withChars("0123456789ABCDEFXYZabcxyz-./:+ =_{}\"\n")
            .ofMaxLength(80);
    Arbitrary<String> prefixed =
        Arbitraries.of("bc1", "BC1", "1", "3", "0x", "eyJ", "-----BEGIN ", "GB82", "S", "M")
            .flatMap(p -> idLike.map(s -> p + s));
    return Arbitraries.oneOf(unicode, idLike, prefixed);
  }
}
