package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class KeyNameTest {

  @Test
  void wordsBreakAtCaseChangesAndSeparators() {
    assertThat(new KeyName("driverLicense").containsWord("driver")).isTrue();
    assertThat(new KeyName("driver_license").containsWord("driver")).isTrue();
    assertThat(new KeyName("DRIVER-LICENSE").containsWord("driver")).isTrue();
    assertThat(new KeyName("drivers").containsWord("driver")).isFalse();
    assertThat(new KeyName("screwdriver").containsWord("driver")).isFalse();
    assertThat(new KeyName("dateOfBirth").containsWord("dateofbirth")).isTrue();
    assertThat(new KeyName("date_of_birth").containsWord("birth")).isTrue();
  }

  @Test
  void keysEndWithTheirLastWords() {
    assertThat(new KeyName("slackToken").endsWithWord("token")).isTrue();
    assertThat(new KeyName("APIKey").endsWithWord("apikey")).isTrue();
    assertThat(new KeyName("api_key").endsWithWord("apikey")).isTrue();
    assertThat(new KeyName("AWS_SECRET_ACCESS_KEY").endsWithWord("accesskey")).isTrue();
    assertThat(new KeyName("db.password").endsWithWord("password")).isTrue();
    assertThat(new KeyName("passwordHint").endsWithWord("password")).isFalse();
    assertThat(new KeyName("tokenizer").endsWithWord("token")).isFalse();
    assertThat(new KeyName("mytoken").endsWithWord("token")).isFalse();
  }

  @Test
  void aCachedKeyIsSplitOnceAndAnswersAsAFreshOne() {
    KeyName first = KeyName.of("driverLicense");
    assertThat(KeyName.of(new String("driverLicense"))).isSameAs(first);
    assertThat(first.containsWord("driver")).isTrue();
    assertThat(first.joined()).isEqualTo(new KeyName("driverLicense").joined());
  }

  @Test
  void keysSharingASlotOrTooLongToKeepAreStillSplitCorrectly() {
    // "Aa" and "BB" have the same hash, so they take the same slot in turn.
    assertThat(KeyName.of("Aa").joined()).isEqualTo("aa");
    assertThat(KeyName.of("BB").joined()).isEqualTo("bb");
    assertThat(KeyName.of("Aa").joined()).isEqualTo("aa");
    String longKey = "customer".repeat(9) + "CardNumber";
    assertThat(KeyName.of(longKey).endsWithWord("number")).isTrue();
    assertThat(KeyName.of(longKey)).isNotSameAs(KeyName.of(longKey));
  }
}
