package dev.custos.command.internal.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The API's own routes: {@code GET /api/v1/whoami} (the caller's name and role) and
 * {@code GET /api/v1/openapi.yaml} (the OpenAPI document, without authentication). Thread-safe.
 */
public final class ApiBasics {
  /** Where the OpenAPI document lives on the classpath. */
  public static final String OPENAPI_RESOURCE = "dev/custos/command/openapi.yaml";

  private ApiBasics() {}

  /** Adds the routes. */
  public static void addTo(ServerBuilder sb, ApiAccess access) {
    byte[] openapi = openapi();
    sb.route().get("/api/v1/openapi.yaml").build((ctx, req) -> HttpResponse.of(HttpStatus.OK,
        MediaType.parse("application/yaml; charset=utf-8"), openapi));
    sb.route().get("/api/v1/whoami").decorator(access.require(Role.READ)).build((ctx, req) -> {
      Caller caller = ApiAccess.caller(ctx);
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("name", caller.name());
      o.put("role", caller.role().name().toLowerCase(Locale.ROOT));
      return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, o.toString());
    });
  }

  /** Returns the OpenAPI document's bytes. */
  public static byte[] openapi() {
    try (InputStream in = ApiBasics.class.getClassLoader().getResourceAsStream(
        OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(OPENAPI_RESOURCE + ": missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
