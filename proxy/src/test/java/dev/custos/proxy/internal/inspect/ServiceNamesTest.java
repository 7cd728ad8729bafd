package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.Direction;
import dev.custos.proxy.AuthnConfig;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.Identity;
import dev.custos.proxy.Principal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The caller's service in findings events comes from verified identities only, and its shape
 * cannot hold a protected value.
 */
class ServiceNamesTest {
  private static Principal principal(Identity.Kind kind, String name, boolean verified) {
    return new Principal(name, Set.of(AuthnConfig.Method.MTLS),
        new Identity(kind, kind.id() + ":0011223344556677", verified));
  }

  @Test
  void aKubernetesSpiffeIdNamesNamespaceAndServiceAccount() {
    assertThat(ServiceNames.of(principal(Identity.Kind.MTLS,
        "spiffe://cluster.local/ns/payments/sa/billing-api", true))).isEqualTo("payments/billing-api");
  }

  @Test
  void anotherSpiffePathIsTheServiceAndOtherUrisNameNone() {
    assertThat(ServiceNames.of(principal(Identity.Kind.MTLS, "spiffe://example.org/edge/gateway",
        true))).isEqualTo("edge/gateway");
    assertThat(ServiceNames.of(principal(Identity.Kind.MTLS, "https://example.org/edge", true)))
        .isEmpty();
    assertThat(ServiceNames.of(principal(Identity.Kind.MTLS, "spiffe://example.org/", true)))
        .isEmpty();
    assertThat(ServiceNames.of(principal(Identity.Kind.MTLS, "spiffe://example.org/a?b", true)))
        .isEmpty();
  }

  @Test
  void aVerifiedApiKeyIsNamedByItsConfiguredName() {
    assertThat(ServiceNames.of(principal(Identity.Kind.API_KEY, "billing", true)))
        .isEqualTo("billing");
  }

  @Test
  void jwtClaimsUnverifiedIdentitiesAndNoPrincipalNameNoService() {
    assertThat(ServiceNames.of(principal(Identity.Kind.JWT, "svc", true))).isEmpty();
    assertThat(ServiceNames.of(principal(Identity.Kind.API_KEY, "billing", false))).isEmpty();
    assertThat(ServiceNames.of(null)).isEmpty();
  }

  @Test
  void aNameShapedLikeAValueIsLeftOut() {
    for (String name : List.of("spiffe://td/ns/4111111111111111/sa/x",
        "spiffe://td/ns/a/sa/jane.doe@example.com", "spiffe://td/ns/a/sa/078-05-1120",
        "spiffe://td/a/b/c/d/e", "spiffe://td/ns/a/sa/AKIAIOSFODNN7EXAMPLE")) {
      assertThat(ServiceNames.of(principal(Identity.Kind.MTLS, name, true))).as(name).isEmpty();
    }
  }

  @Test
  void anEventRefusesAnUnsafeService() {
    assertThatThrownBy(() -> new FindingsEvent(Instant.EPOCH, "r", Direction.REQUEST,
        "0011223344556677", Map.of(), Set.of(), List.of(), List.of(), null, null, false, false,
        null, 0, "http", List.of(), List.of(), "c", "jane@example.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("jane");
  }

  @Provide
  Arbitrary<String> withAValue() {
    Arbitrary<String> value = Arbitraries.of("4111111111111111", "4111 1111 1111 1111",
        "078-05-1120", "078051120", "jane.doe@example.com", "+14155550123", "AKIAIOSFODNN7EXAMPLE",
        "GB82WEST12345698765432", "ghp_16C7e42F292c6912E7710c838347Ae178B4a");
    Arbitrary<String> around = Arbitraries.strings().withChars("abcxyz-_/.").ofMaxLength(12);
    return net.jqwik.api.Combinators.combine(around, value, around).as((a, v, b) -> a + v + b);
  }

  @Property(tries = 300)
  void noServiceHoldingAProtectedValueIsSafe(@ForAll("withAValue") String service) {
    assertThat(FindingsEvent.isSafeService(service)).isFalse();
  }

  @Property(tries = 200)
  void kubernetesNamesAreSafe(@ForAll("dnsLabel") String ns, @ForAll("dnsLabel") String sa) {
    assertThat(FindingsEvent.isSafeService(ns + "/" + sa)).isTrue();
  }

  @Provide
  Arbitrary<String> dnsLabel() {
    return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz-").ofMinLength(1)
        .ofMaxLength(15).filter(s -> !s.startsWith("-"));
  }
}
