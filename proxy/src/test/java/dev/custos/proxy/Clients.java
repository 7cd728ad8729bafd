package dev.custos.proxy;

import com.linecorp.armeria.client.ClientFactory;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.SessionProtocol;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The real clients the tests drive the proxy with. */
enum Clients {
  ARMERIA_H1C, ARMERIA_H2C, JDK_HTTP_1_1, JDK_HTTP_2;

  /** A response: status, headers (lower-case names, values joined by ", ") and body. */
  record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name);
    }
  }

  Response send(String base, String method, String pathAndQuery, Map<String, String> headers,
      String body) {
    switch (this) {
      case ARMERIA_H1C:
      case ARMERIA_H2C: {
        SessionProtocol p = this == ARMERIA_H1C ? SessionProtocol.H1C : SessionProtocol.H2C;
        URI uri = URI.create(base);
        WebClient client = WebClient.builder(p.uriText() + "://" + uri.getAuthority())
            .factory(ClientFactory.ofDefault())
            .responseTimeoutMillis(20_000)
            .build();
        RequestHeadersBuilder h = RequestHeaders.builder(HttpMethod.valueOf(method), pathAndQuery);
        headers.forEach(h::add);
        AggregatedHttpResponse res = client.execute(HttpRequest.of(h.build(),
            com.linecorp.armeria.common.HttpData.ofUtf8(body))).aggregate().join();
        Map<String, String> out = new LinkedHashMap<>();
        res.headers().forEach((k, v) -> out.merge(k.toString(), v, (a, b) -> a + ", " + b));
        return new Response(res.status().code(), out, res.contentUtf8());
      }
      default: {
        HttpClient client = HttpClient.newBuilder()
            .version(this == JDK_HTTP_1_1 ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(
            URI.create(base + pathAndQuery))
            .timeout(Duration.ofSeconds(20))
            .method(method, body.isEmpty() ? java.net.http.HttpRequest.BodyPublishers.noBody()
                : java.net.http.HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        try {
          java.net.http.HttpResponse<String> res = client.send(b.build(), BodyHandlers.ofString());
          Map<String, String> out = new LinkedHashMap<>();
          res.headers().map().forEach((k, v) ->
              out.put(k.toLowerCase(Locale.ROOT), String.join(", ", v)));
          return new Response(res.statusCode(), out, res.body());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException(e);
        }
      }
    }
  }

  Response get(String base, String pathAndQuery) {
    return send(base, "GET", pathAndQuery, Map.of(), "");
  }

  static List<Clients> all() {
    return List.of(values());
  }
}
