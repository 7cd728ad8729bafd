package dev.custos.command.internal.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What a database error message may say of the JDBC URL: never a credential. */
class StoreUrlTest {
  @Test
  void queryParametersPropertiesAndUserInformationAreLeftOut() {
    assertThat(Store.redacted("jdbc:postgresql://db:5432/custos?user=custos&password=s3cret"))
        .isEqualTo("jdbc:postgresql://db:5432/custos?...");
    assertThat(Store.redacted("jdbc:postgresql://custos:s3cret@db:5432/custos"))
        .isEqualTo("jdbc:postgresql://...@db:5432/custos");
    assertThat(Store.redacted("jdbc:sqlserver://db:1433;user=custos;password=s3cret"))
        .isEqualTo("jdbc:sqlserver://db:1433;...");
    assertThat(Store.redacted("jdbc:postgresql://custos:s3/cr@t@db:5432/custos"))
        .isEqualTo("jdbc:postgresql://...@db:5432/custos");
    assertThat(Store.redacted("jdbc:postgresql://custos:s3?cret@db:5432/custos"))
        .isEqualTo("jdbc:postgresql://...");
    assertThat(Store.redacted("jdbc:postgresql://db:5432/custos?user=a@b&password=s3cret"))
        .isEqualTo("jdbc:postgresql://...");
    assertThat(Store.redacted("jdbc:sqlite:/var/lib/custos/command.db"))
        .isEqualTo("jdbc:sqlite:/var/lib/custos/command.db");
  }
}
