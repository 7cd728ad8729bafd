package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.server.Route;
import com.linecorp.armeria.server.ServiceConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The OpenAPI document served at {@code /api/v1/openapi.yaml} against the routes the running
 * command plane registers: every route is documented, every documented path and method is
 * served, and the document holds what an OpenAPI 3.1 document needs.
 */
class OpenApiTest {
  @TempDir
  static Path dir;

  static CommandPlane plane;
  static Map<String, Object> doc;

  @BeforeAll
  @SuppressWarnings("unchecked")
  static void start() {
    plane = CommandPlane.builder(CommandPlaneTest.config(dir)).build();
    plane.start();
    AggregatedHttpResponse r = WebClient.of("http://127.0.0.1:" + plane.activePort())
        .get("/api/v1/openapi.yaml").aggregate().join();
    assertThat(r.status()).as("served without a credential").isEqualTo(HttpStatus.OK);
    assertThat(r.contentType().subtype()).isEqualTo("yaml");
    doc = (Map<String, Object>) new Load(LoadSettings.builder().build())
        .loadFromString(r.contentUtf8());
  }

  @AfterAll
  static void stop() {
    plane.stop();
  }

  /** Returns "METHOD /path/{}" for every route the server serves (a catch-all route as GET). */
  static Set<String> served() {
    Set<String> out = new TreeSet<>();
    for (ServiceConfig sc : plane.server().serviceConfigs()) {
      Route route = sc.route();
      String path = route.patternString().replaceAll(":[A-Za-z0-9_]+", "{}")
          .replaceAll("\\{[A-Za-z0-9_]+}", "{}");
      if (!path.startsWith("/")) {
        continue; // Armeria's own fallback (a catch-all, not a route of ours)
      }
      Set<HttpMethod> methods = route.methods();
      if (methods.size() > 2) {
        out.add("GET " + path); // a plain service: only GET is meant
        continue;
      }
      for (HttpMethod m : methods) {
        if (m != HttpMethod.HEAD && m != HttpMethod.OPTIONS) {
          out.add(m.name() + " " + path);
        }
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static Set<String> documented() {
    Set<String> out = new TreeSet<>();
    Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
    for (Map.Entry<String, Object> p : paths.entrySet()) {
      String path = p.getKey().replaceAll("\\{[A-Za-z0-9_]+}", "{}");
      for (String method : ((Map<String, Object>) p.getValue()).keySet()) {
        if (Set.of("get", "post", "put", "patch", "delete").contains(method)) {
          out.add(method.toUpperCase(Locale.ROOT) + " " + path);
        }
      }
    }
    return out;
  }

  @Test
  void everyServedRouteIsDocumented() {
    Set<String> missing = new TreeSet<>(served());
    // The API and the operations routes; the dashboard's static files are not API.
    missing.removeIf(r -> !r.contains("/api/")
        && !Set.of("GET /healthz", "GET /readyz", "GET /metrics").contains(r));
    missing.removeAll(documented());

    assertThat(missing).as("routes missing from openapi.yaml").isEmpty();
  }

  @Test
  void everyDocumentedPathIsServed() {
    Set<String> extra = new TreeSet<>(documented());
    extra.removeAll(served());

    assertThat(extra).as("paths in openapi.yaml the server does not serve").isEmpty();
  }

  @Test
  @SuppressWarnings("unchecked")
  void theDocumentHasTheOpenApiTopLevelFields() {
    assertThat(doc.get("openapi")).asString().startsWith("3.1.");
    Map<String, Object> info = (Map<String, Object>) doc.get("info");
    assertThat(info).containsKeys("title", "version");
    assertThat(doc).containsKeys("paths", "components", "security");
    Map<String, Object> schemes = (Map<String, Object>)
        ((Map<String, Object>) doc.get("components")).get("securitySchemes");
    assertThat(schemes).containsKeys("api", "proxy");
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyOperationNamesItsRoleOrIsOpenAndEveryRefResolves() {
    Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
    List<String> unmarked = new ArrayList<>();
    for (Map.Entry<String, Object> p : paths.entrySet()) {
      for (Map.Entry<String, Object> op : ((Map<String, Object>) p.getValue()).entrySet()) {
        Map<String, Object> o = (Map<String, Object>) op.getValue();
        boolean open = o.containsKey("security");
        Object role = o.get("x-custos-role");
        if (!open && !"read".equals(role) && !"admin".equals(role)) {
          unmarked.add(op.getKey() + " " + p.getKey());
        }
        assertThat(o).as(op.getKey() + " " + p.getKey()).containsKeys("summary", "responses");
      }
    }
    assertThat(unmarked).as("operations without x-custos-role read|admin or security").isEmpty();

    String text = new org.snakeyaml.engine.v2.api.Dump(
        org.snakeyaml.engine.v2.api.DumpSettings.builder().build()).dumpToString(doc);
    Matcher m = Pattern.compile("#/components/([A-Za-z]+)/([A-Za-z0-9_]+)").matcher(text);
    Map<String, Object> components = (Map<String, Object>) doc.get("components");
    while (m.find()) {
      Map<String, Object> kind = (Map<String, Object>) components.get(m.group(1));
      assertThat(kind).as("components/" + m.group(1)).isNotNull();
      assertThat(kind).as(m.group()).containsKey(m.group(2));
    }
  }

  /** Returns the documented operations marked with {@code role}, as method and concrete path. */
  @SuppressWarnings("unchecked")
  static List<String[]> operations(String role) {
    List<String[]> out = new ArrayList<>();
    Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
    for (Map.Entry<String, Object> p : paths.entrySet()) {
      for (Map.Entry<String, Object> op : ((Map<String, Object>) p.getValue()).entrySet()) {
        if (role.equals(((Map<String, Object>) op.getValue()).get("x-custos-role"))) {
          out.add(new String[] {op.getKey().toUpperCase(Locale.ROOT),
              p.getKey().replaceAll("\\{[A-Za-z0-9_]+}", "1")});
        }
      }
    }
    return out;
  }

  static AggregatedHttpResponse call(String[] op, String token) {
    com.linecorp.armeria.common.RequestHeadersBuilder h = com.linecorp.armeria.common
        .RequestHeaders.builder(HttpMethod.valueOf(op[0]), op[1])
        .contentType(com.linecorp.armeria.common.MediaType.JSON_UTF_8);
    if (token != null) {
      h.set(com.linecorp.armeria.common.HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
    }
    return WebClient.of("http://127.0.0.1:" + plane.activePort())
        .execute(h.build(), com.linecorp.armeria.common.HttpData.ofUtf8("{}")).aggregate().join();
  }

  @Test
  void everyAdminOperationRefusesAReadTokenAndEveryOperationAnUnknownOne() {
    List<String[]> admin = operations("admin");
    List<String[]> read = operations("read");
    assertThat(admin).isNotEmpty();
    assertThat(read).isNotEmpty();

    for (String[] op : admin) {
      assertThat(call(op, CommandPlaneTest.API_TOKEN).status()).as(String.join(" ", op))
          .isEqualTo(HttpStatus.FORBIDDEN);
    }
    for (String[] op : read) {
      AggregatedHttpResponse r = call(op, CommandPlaneTest.API_TOKEN);
      assertThat(r.status()).as(String.join(" ", op)).isNotIn(HttpStatus.UNAUTHORIZED,
          HttpStatus.FORBIDDEN);
    }
    List<String[]> all = new ArrayList<>(admin);
    all.addAll(read);
    for (String[] op : all) {
      assertThat(call(op, null).status()).as(String.join(" ", op))
          .isEqualTo(HttpStatus.UNAUTHORIZED);
      assertThat(call(op, CommandPlaneTest.TOKEN).status()).as("a proxy token: "
          + String.join(" ", op)).isEqualTo(HttpStatus.UNAUTHORIZED);
    }
  }
}
