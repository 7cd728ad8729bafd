package dev.custos.command.internal.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.custos.command.CommandConfig;
import dev.custos.command.internal.store.FlowQueries;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Coverage-guided fuzzing of what the API decodes from a caller before any check passes: the
 * findings list's {@code before} cursor (a position, or a 400 naming the parameter; a decoded
 * position encodes back to the same cursor) and the bearer credential as an OIDC JWT (always an
 * outcome, 401 unless a key of the issuer signed it; never an exception). Without
 * {@code JAZZER_FUZZ} set, only the seeds in {@code ApiInputFuzzTestInputs/} run.
 */
class ApiInputFuzzTest {
  private static OidcVerifier verifier;

  @FuzzTest(maxDuration = "30s")
  void cursor(byte[] input) {
    String text = new String(input, StandardCharsets.ISO_8859_1);
    try {
      FlowQueries.Position p = FlowApi.position(text);
      assertThat(p.lineNo()).isPositive();
      assertThat(FlowApi.position(FlowApi.cursor(p))).isEqualTo(p);
    } catch (Params.BadParameter e) {
      assertThat(e.getMessage()).startsWith("before: not a cursor");
    }
  }

  @FuzzTest(maxDuration = "30s")
  void jwt(byte[] input) throws Exception {
    OidcVerifier.Outcome outcome = verifier().verify(
        new String(input, StandardCharsets.UTF_8));
    assertThat(outcome).isInstanceOf(OidcVerifier.Refused.class);
    assertThat(((OidcVerifier.Refused) outcome).status()).isEqualTo(401);
  }

  private static synchronized OidcVerifier verifier() throws Exception {
    if (verifier == null) {
      Path dir = Files.createTempDirectory("jwt-fuzz");
      Path jwks = Files.writeString(dir.resolve("jwks.json"), new JWKSet(
          new ECKeyGenerator(Curve.P_256).keyID("k").generate().toPublicJWK()).toString());
      verifier = new OidcVerifier(new CommandConfig.Oidc("https://idp.test", List.of("custos"),
          jwks, (URI) null, Duration.ofMinutes(5), "roles", "sub", List.of("custos-admin"),
          List.of("custos-read"), Duration.ofSeconds(60),
          CommandConfig.Oidc.ASYMMETRIC_ALGORITHMS), Clock.systemUTC());
      Files.delete(jwks);
      Files.delete(dir);
    }
    return verifier;
  }
}
