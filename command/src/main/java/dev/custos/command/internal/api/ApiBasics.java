package dev.custos.command.internal.api;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.command.internal.ingest.IngestService;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.SQLException;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * The API's own routes: {@code GET /api/v1/whoami} (the caller's name and role) and
 * {@code GET /api/v1/openapi.yaml} (the OpenAPI document, without authentication); and what
 * every API route answers with: the error body and database work off the event loop.
 * Thread-safe.
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

  /** Returns the API's error answer: {@code {"error": message}} with {@code status}. */
  public static HttpResponse error(HttpStatus status, String message) {
    return HttpResponse.of(status, MediaType.JSON_UTF_8, errorJson(message));
  }

  /** Returns the API's error body: {@code {"error": message}}. */
  static String errorJson(String message) {
    return "{\"error\":" + IngestService.quote(message) + "}";
  }

  /** Database work of a route, answering the request; it may fail with an SQLException. */
  public interface DatabaseWork {
    /** Does the work and returns the answer. */
    HttpResponse run() throws SQLException;
  }

  /**
   * Runs database work on the blocking task executor; an SQLException answers 503 (the
   * exception's message, which may hold SQL or values, is not shown).
   */
  public static HttpResponse blocking(ServiceRequestContext ctx, DatabaseWork work) {
    return HttpResponse.of(CompletableFuture.supplyAsync(() -> {
      try {
        return work.run();
      } catch (SQLException e) {
        return error(HttpStatus.SERVICE_UNAVAILABLE, "database unavailable (expected: a retry)");
      }
    }, ctx.blockingTaskExecutor()));
  }
}
