package dev.custos.proxy.internal.inspect;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Backend;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.FindingsEvent;
import dev.custos.proxy.InspectionSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A message without a body costs the engine its headers, query and path only: no body scanner is
 * opened for a GET, a HEAD, or a 204/304 response, whatever the rules (a block rule would
 * otherwise hold the empty body, a redact rule stream it). A body still opens one.
 */
class BodilessMessagesTest {
  static final EvidenceKey KEY = EvidenceKey.of(new byte[32]);
  static final Scanner SCANNER =
      Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(KEY).build();
  static final String JSON = "{\"name\":\"Ana\",\"note\":\"nothing to see\"}";

  /** Rules that hold and rewrite bodies in both directions, the costliest set-up for a body. */
  static final String HOLDING_AND_REDACTING = """
      rules:
        - name: cards are refused
          categories: [credit_card]
          action: block
        - name: emails are masked
          categories: [email]
          action: redact
          redact: { style: mask }
      """;

  final List<FindingsEvent> events = new CopyOnWriteArrayList<>();

  InspectionSettings settings(String rules) {
    return InspectionSettings.builder(SCANNER)
        .policy(Policy.parse("version: 1\n" + rules, "test.yaml"))
        .route("test")
        .meterRegistry(new SimpleMeterRegistry())
        .findingsSink(events::add)
        .identityKey(KEY)
        .callerIdentity(ctx -> "caller")
        .build();
  }

  /** Serves one exchange through the inspection layer; returns what it recorded. */
  static InspectionRecord exchange(InspectionSettings settings, HttpRequest req,
      HttpResponse upstream, HttpStatus expected) throws Exception {
    ServiceRequestContext ctx = ServiceRequestContext.of(req);
    HttpService service = (c, r) -> upstream;
    AggregatedHttpResponse res;
    try (var ignored = ctx.push()) {
      res = Inspector.serve(settings, ctx, req, service).aggregate().get(10, TimeUnit.SECONDS);
    }
    assertThat(res.status()).isEqualTo(expected);
    return ctx.attr(InspectionRecord.KEY);
  }

  static RequestHeaders headers(HttpMethod method, String path) {
    return RequestHeaders.builder(method, path).scheme("http").authority("api.example.test")
        .build();
  }

  static HttpResponse jsonResponse() {
    return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, JSON);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", HOLDING_AND_REDACTING})
  void getWithABodiedResponseOpensOneScannerForTheResponseOnly(String rules) throws Exception {
    InspectionRecord record = exchange(settings(rules),
        HttpRequest.of(headers(HttpMethod.GET, "/users?page=2")), jsonResponse(), HttpStatus.OK);

    assertThat(record.bodyScannersOpened()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", HOLDING_AND_REDACTING})
  void headAnswerOpensNoBodyScanner(String rules) throws Exception {
    HttpResponse upstream = HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
        .contentType(MediaType.JSON_UTF_8).contentLength(JSON.length()).build());
    InspectionRecord record = exchange(settings(rules),
        HttpRequest.of(headers(HttpMethod.HEAD, "/users")), upstream, HttpStatus.OK);

    assertThat(record.bodyScannersOpened()).isZero();
  }

  @ParameterizedTest
  @ValueSource(ints = {204, 304})
  void responseWithoutContentOpensNoBodyScanner(int status) throws Exception {
    HttpResponse upstream = HttpResponse.of(ResponseHeaders.builder(status)
        .contentType(MediaType.JSON_UTF_8).build());
    InspectionRecord record = exchange(settings(HOLDING_AND_REDACTING),
        HttpRequest.of(headers(HttpMethod.GET, "/users")), upstream, HttpStatus.valueOf(status));

    assertThat(record.bodyScannersOpened()).isZero();
  }

  @Test
  void anUnsupportedEncodingOnAHeadAnswerIsNoReasonToRefuseIt() throws Exception {
    HttpResponse upstream = HttpResponse.of(ResponseHeaders.builder(HttpStatus.OK)
        .contentType(MediaType.JSON_UTF_8).add("content-encoding", "compress")
        .contentLength(JSON.length()).build());
    InspectionRecord record = exchange(settings(HOLDING_AND_REDACTING),
        HttpRequest.of(headers(HttpMethod.HEAD, "/users")), upstream, HttpStatus.OK);

    assertThat(record.bodyScannersOpened()).isZero();
    assertThat(events).isEmpty();
  }

  @Test
  void postWithABodyOpensAScannerForEachBody() throws Exception {
    HttpRequest post = HttpRequest.of(headers(HttpMethod.POST, "/users").toBuilder()
        .contentType(MediaType.JSON_UTF_8).build(), com.linecorp.armeria.common.HttpData.ofUtf8(JSON));
    InspectionRecord record = exchange(settings(""), post, jsonResponse(), HttpStatus.OK);

    assertThat(record.bodyScannersOpened()).isEqualTo(2);
  }

  @Test
  void findingsInTheHeadersOfABodilessRequestStillDecide() throws Exception {
    HttpRequest get = HttpRequest.of(headers(HttpMethod.GET, "/users").toBuilder()
        .add("x-note", "card 4111111111111111").build());
    InspectionRecord record = exchange(settings(HOLDING_AND_REDACTING), get, jsonResponse(),
        HttpStatus.FORBIDDEN);

    assertThat(record.bodyScannersOpened()).isZero();
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.blockedBy()).isEqualTo("cards are refused");
      assertThat(e.locations()).containsExactly("header:x-note");
    });
  }
}
