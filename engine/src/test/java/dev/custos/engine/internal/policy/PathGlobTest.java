package dev.custos.engine.internal.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PathGlobTest {
  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "/api/**            | /api                  | true",
      "/api/**            | /api/                 | true",
      "/api/**            | /api/users            | true",
      "/api/**            | /api/users/42/cards   | true",
      "/api/**            | /apix                 | false",
      "/api/**            | /ap                   | false",
      "/api/**            | /v1/api/users         | false",
      "/**                | /                     | true",
      "/**                | /anything/at/all      | true",
      "/users/*/cards     | /users/42/cards       | true",
      "/users/*/cards     | /users/42/cards/      | true",
      "/users/*/cards     | /users/42/cards?x=1   | true",
      "/users/*/cards     | /users/42/cards#top   | true",
      "/users/*/cards     | /users/4/2/cards      | false",
      "/users/*/cards     | /users/42/cards/1     | false",
      "/users/*/cards     | /users/cards          | false",
      "/users/*           | /users/42             | true",
      "/users/*           | /users                | false",
      "/a/**/b            | /a/b                  | true",
      "/a/**/b            | /a/x/b                | true",
      "/a/**/b            | /a/x/y/z/b            | true",
      "/a/**/b            | /a/x/y/z/c            | false",
      "/a/**/b/**         | /a/b/b/b              | true",
      "/**/cards          | /users/1/cards        | true",
      "/**/cards          | /cards                | true",
      "/**/cards          | /users/1/card         | false",
      "/*.json            | /data.json            | true",
      "/*.json            | /data.jsonx           | false",
      "/*.json            | /.json                | true",
      "/file-*-v*.txt     | /file-a-v2.txt        | true",
      "/file-*-v*.txt     | /file-a-b-v2-v3.txt   | true",
      "/file-*-v*.txt     | /file-v2.txt          | false",
      "/a*a               | /a                    | false",
      "/a*a               | /aa                   | true",
      "/a*a               | /aba                  | true",
      "/exact             | /exact                | true",
      "/exact             | /Exact                | false",
      "/exact             | /exact/more           | false",
      "/exact/            | /exact                | true",
      "/                  | /                     | true",
      "/                  | /a                    | false",
      "/api/**            | api/users             | false",
      "/api/**            | ''                    | false",
  })
  void globMatchesPath(String glob, String path, boolean expected) {
    assertThat(PathGlob.compile(glob).matches(path)).isEqualTo(expected);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "api/**         | a path glob starting with /",
      "/users/{id}    | literal characters, * and ** only; no ?, [ ], { }, backslash or spaces",
      "/a?b           | literal characters, * and ** only; no ?, [ ], { }, backslash or spaces",
      "'/a b'         | literal characters, * and ** only; no ?, [ ], { }, backslash or spaces",
      "/[ab]          | literal characters, * and ** only; no ?, [ ], { }, backslash or spaces",
      "/a**           | ** only as a whole segment, such as /api/**",
      "/***           | ** only as a whole segment, such as /api/**",
  })
  void badGlobsAreRefusedWithWhatWasExpected(String glob, String expected) {
    assertThatThrownBy(() -> PathGlob.compile(glob))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path glob: " + glob + " (expected: " + expected + ")");
  }

  @Test
  void longGlobIsRefused() {
    assertThatThrownBy(() -> PathGlob.compile("/" + "a".repeat(PathGlob.MAX_LENGTH)))
        .hasMessageContaining("(expected: at most 1024 characters)");
  }

  @Test
  void manyStarsOnALongNearMissPathStayFast() {
    // A backtracking matcher takes exponential time here; this one is linear in the path.
    PathGlob glob = PathGlob.compile("/" + "*a".repeat(40) + "b/**/" + "**/".repeat(40) + "x");
    String path = "/" + "a".repeat(100_000);
    assertThat(glob.matches(path)).isFalse();
    assertThat(glob.matches(path + "b/x")).isTrue();
  }

  @ParameterizedTest(name = "{0} matches {1}: {2}")
  @CsvSource(delimiter = '|', value = {
      "api.example.com    | api.example.com   | true",
      "api.example.com    | API.Example.COM   | true",
      "api.example.com    | api.example.com.  | true",
      "api.example.com    | www.example.com   | false",
      "*.example.com      | a.example.com     | true",
      "*.example.com      | a.b.example.com   | true",
      "*.Example.com      | A.EXAMPLE.com     | true",
      "*.example.com      | example.com       | false",
      "*.example.com      | badexample.com    | false",
      "*.example.com      | .example.com      | false",
  })
  void hostPatternMatchesHost(String pattern, String host, boolean expected) {
    assertThat(HostPattern.compile(pattern).matches(host)).isEqualTo(expected);
  }

  @Test
  void badHostPatternsAreRefused() {
    for (String bad : new String[] {"", "*", "*.", "api.*.com", "a*.example.com", "ex ample.com",
        "example.com/path"}) {
      assertThatThrownBy(() -> HostPattern.compile(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("host: " + bad + " (expected: a host name such as");
    }
  }

  @ParameterizedTest
  @CsvSource({
      "10.0.0.0/8, true", "0.0.0.0/0, true", "192.168.1.7/32, true", "fd00::/8, true",
      "::/0, true", "::1/128, true", "2001:db8:0:0:0:0:0:1/64, true", "::ffff:10.0.0.0/104, true",
      "10.0.0.0, false", "10.0.0.0/33, false", "10.0.0.256/8, false", "10.0.0/8, false",
      "fd00::/129, false", "fd00:::1/8, false", "1::2::3/8, false", "1:2:3:4:5:6:7:8:9/64, false",
      "example.com/8, false", "10.0.0.0/, false", "10.0.0.0/-1, false", "gggg::/8, false",
  })
  void cidrSyntax(String cidr, boolean valid) {
    assertThat(Cidr.isValid(cidr)).isEqualTo(valid);
  }
}
