package dev.custos.engine.internal.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.Scanner;
import dev.custos.engine.TestScanners;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Scans realistic multi-country documents (a JSON export and a plain-text note) through the public
 * {@link Scanner} with the default policy: every national id, tax id, document number and phone
 * number is found in its category and at its place, and near misses beside them are not.
 */
class PersonalIdsEndToEndTest {
  private static final Scanner scanner = TestScanners.java();
  private static final @Nullable Scanner hyperscan = TestScanners.hyperscan();

  private static final Set<String> PERSONAL_IDS =
      Set.of(
          "de_tax_id", "de_id_card", "de_vat_id", "fr_nir", "fr_vat_id", "tr_tc_kimlik",
          "za_id_number", "cn_resident_id", "mx_curp", "mx_rfc", "hk_hkid", "ch_ahv",
          "uk_driving_licence", "uk_postcode", "in_gstin", "ar_cuit", "cl_rut", "ng_nin", "ng_bvn",
          "jp_my_number", "tw_national_id", "no_fodselsnummer", "phone_number");

  private static List<Finding> scan(String text, ContentType type) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    List<Finding> findings = scanner.scan(bytes, type).findings();
    if (hyperscan != null) {
      assertThat(hyperscan.scan(bytes, type).findings()).isEqualTo(findings);
    }
    return findings;
  }

  @Test
  void customerExportFindsEachCountrysIdsAtTheirJsonPaths() {
    String json =
        """
        {"customers": [
          {"country": "DE", "steuer_id": "86095742719", "personalausweis": "T220001293",
           "vat": "DE136587622", "phone": "+49 30 901820 12"},
          {"country": "FR", "nir": "2 55 08 14 168 025 38", "tva": "FR83404833048",
           "phone": "+33 1 23 45 67 89"},
          {"country": "TR", "tc_kimlik": "10000000146"},
          {"country": "ZA", "id_number": "8001015009087"},
          {"country": "CN", "resident_id": "11010519491231002X"},
          {"country": "MX", "curp": "HEGG560427MVZRRL04", "rfc": "GODE561231GR8"},
          {"country": "HK", "hkid": "A123456(3)"},
          {"country": "CH", "ahv": "756.9217.0769.85"},
          {"country": "GB", "driving_licence": "MORGA657054SM9IJ", "postcode": "SW1A 1AA"},
          {"country": "IN", "gstin": "27AAPFU0939F1ZV"},
          {"country": "AR", "cuit": "20-12345678-6"},
          {"country": "CL", "rut": "12.345.678-5"},
          {"country": "NG", "nin": "12345678901", "bvn": "22123456789"},
          {"country": "US", "phone": "(415) 555-2671"}
        ],
        "notes": "order 86095742718 shipped; build 10.9.194.9; released +2015-12-23"}
        """;
    List<Finding> findings = scan(json, ContentType.JSON);
    assertThat(findings)
        .extracting(Finding::jsonPath, Finding::category)
        .contains(
            tuple("$.customers[0].steuer_id", "de_tax_id"),
            tuple("$.customers[0].personalausweis", "de_id_card"),
            tuple("$.customers[0].vat", "de_vat_id"),
            tuple("$.customers[0].phone", "phone_number"),
            tuple("$.customers[1].nir", "fr_nir"),
            tuple("$.customers[1].tva", "fr_vat_id"),
            tuple("$.customers[1].phone", "phone_number"),
            tuple("$.customers[2].tc_kimlik", "tr_tc_kimlik"),
            tuple("$.customers[3].id_number", "za_id_number"),
            tuple("$.customers[4].resident_id", "cn_resident_id"),
            tuple("$.customers[5].curp", "mx_curp"),
            tuple("$.customers[5].rfc", "mx_rfc"),
            tuple("$.customers[6].hkid", "hk_hkid"),
            tuple("$.customers[7].ahv", "ch_ahv"),
            tuple("$.customers[8].driving_licence", "uk_driving_licence"),
            tuple("$.customers[8].postcode", "uk_postcode"),
            tuple("$.customers[9].gstin", "in_gstin"),
            tuple("$.customers[10].cuit", "ar_cuit"),
            tuple("$.customers[11].rut", "cl_rut"),
            tuple("$.customers[12].nin", "ng_nin"),
            tuple("$.customers[12].bvn", "ng_bvn"),
            tuple("$.customers[13].phone", "phone_number"));
    assertThat(findings)
        .filteredOn(f -> "$.notes".equals(f.jsonPath()))
        .extracting(Finding::category)
        .doesNotContainAnyElementsOf(PERSONAL_IDS);
  }

  @Test
  void plainTextNoteFindsIdsNextToTheirKeywordsOnly() {
    String text =
        """
        Onboarding notes (synthetic data).
        Tokyo office: マイナンバー 1234 5678 9018, mobile +81 3-1234-5678.
        Taipei: 身分證字號 A123456789. Oslo: fødselsnummer 15039000161.
        Reference numbers that are not ids: order 123456789018, ticket A123456788,
        invoice 15039000162, call back on +20151223 about release 10.9.194.9.
        """;
    List<Finding> findings = scan(text, ContentType.TEXT);
    assertThat(findings)
        .extracting(Finding::category)
        .contains("jp_my_number", "tw_national_id", "no_fodselsnummer", "phone_number");
    String secondHalf = "Reference numbers";
    long cut = text.substring(0, text.indexOf(secondHalf)).getBytes(StandardCharsets.UTF_8).length;
    assertThat(findings)
        .filteredOn(f -> f.start() >= cut)
        .extracting(Finding::category)
        .doesNotContainAnyElementsOf(PERSONAL_IDS);
  }
}
