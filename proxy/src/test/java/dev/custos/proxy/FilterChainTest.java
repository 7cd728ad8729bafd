package dev.custos.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.common.HttpRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class FilterChainTest {
  @RegisterExtension
  static final Upstream upstream = new Upstream("a");

  @TempDir
  Path dir;

  /** A decorator that records its name and the route, and blocks paths under /blocked. */
  private static Function<? super HttpService, ? extends HttpService> recorder(String name,
      List<String> calls) {
    return delegate -> new SimpleDecoratingHttpService(delegate) {
      @Override
      public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
        calls.add(name + ":" + ProxyRequest.route(ctx).map(ProxyConfig.Route::name).orElse("?"));
        if (name.equals("inspection") && ctx.path().startsWith("/blocked")) {
          return HttpResponse.of(HttpStatus.FORBIDDEN);
        }
        return unwrap().serve(ctx, req);
      }
    };
  }

  @Test
  void decoratorsRunAfterRoutingInStageOrder() {
    List<String> calls = new CopyOnWriteArrayList<>();
    Path file = ProxyFixture.write(dir.resolve("custos.yaml"), """
        listen: 127.0.0.1:0
        routes:
          - name: all
            match: { prefix: / }
            cluster: a
        clusters:
          a: { endpoints: ["127.0.0.1:%d"] }
        """.formatted(upstream.httpPort()));
    try (CustosProxy proxy = CustosProxy.builder(ProxyConfig.load(file))
        .decorator(FilterStage.INSPECTION, recorder("inspection", calls))
        .decorator(FilterStage.WASM, recorder("wasm", calls))
        .decorator(FilterStage.AUTHN, recorder("authn", calls))
        .decorator(FilterStage.LIMITS, recorder("limits", calls))
        .build()
        .start()) {
      String base = "http://127.0.0.1:" + proxy.activeHttpPort();

      assertThat(Clients.JDK_HTTP_1_1.get(base, "/name").body()).isEqualTo("a");
      assertThat(calls).containsExactly("authn:all", "limits:all", "inspection:all", "wasm:all");
      assertThat(Clients.JDK_HTTP_1_1.get(base, "/blocked").status()).isEqualTo(403);
    }
  }
}
