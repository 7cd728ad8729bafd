package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Direction;
import dev.custos.engine.Policy;
import dev.custos.engine.Rule;
import dev.custos.proxy.InspectionSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A route's plan picks each message's rules as the policy would: once, when no rule names paths,
 * methods or hosts; per request otherwise.
 */
class InspectionPlanTest {
  static InspectionPlan plan(String rules) {
    return InspectionPlan.of(InspectionSettings.builder(BodilessMessagesTest.SCANNER)
        .policy(Policy.parse("version: 1\n" + rules, "test.yaml"))
        .identityKey(BodilessMessagesTest.KEY)
        .build());
  }

  static List<String> names(InspectionPlan plan, Direction direction, HttpMethod method,
      String path) {
    RequestHeaders h = RequestHeaders.builder(method, path).scheme("http")
        .authority("api.example.test").build();
    ServiceRequestContext ctx = ServiceRequestContext.of(HttpRequest.of(h));
    return plan.rules(direction, h, ctx).stream().map(Rule::name).toList();
  }

  @Test
  void unconditionalRulesAreChosenByDirectionOnceForEveryRequest() {
    InspectionPlan plan = plan("""
        rules:
          - name: cards
            categories: [credit_card]
            action: block
          - name: emails out
            match: { direction: response }
            categories: [email]
            action: redact
        """);
    RequestHeaders get = RequestHeaders.builder(HttpMethod.GET, "/a").scheme("http")
        .authority("x.test").build();
    ServiceRequestContext ctx = ServiceRequestContext.of(HttpRequest.of(get));

    assertThat(names(plan, Direction.REQUEST, HttpMethod.POST, "/b")).containsExactly("cards");
    assertThat(names(plan, Direction.RESPONSE, HttpMethod.GET, "/a"))
        .containsExactly("cards", "emails out");
    assertThat(plan.rules(Direction.RESPONSE, get, ctx))
        .isSameAs(plan.rules(Direction.RESPONSE, get, ctx));
  }

  @Test
  void rulesWithPathsOrMethodsArePickedPerRequest() {
    InspectionPlan plan = plan("""
        rules:
          - name: cards on payments
            match: { paths: ["/payments/**"], methods: [POST] }
            categories: [credit_card]
            action: block
          - name: emails
            categories: [email]
            action: observe
        """);

    assertThat(names(plan, Direction.REQUEST, HttpMethod.POST, "/payments/1"))
        .containsExactly("cards on payments", "emails");
    assertThat(names(plan, Direction.REQUEST, HttpMethod.GET, "/payments/1"))
        .containsExactly("emails");
    assertThat(names(plan, Direction.REQUEST, HttpMethod.POST, "/users"))
        .containsExactly("emails");
  }
}
