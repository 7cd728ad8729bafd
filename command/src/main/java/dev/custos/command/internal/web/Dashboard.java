package dev.custos.command.internal.web;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import com.linecorp.armeria.common.ServerCacheControl;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.file.FileService;
import com.linecorp.armeria.server.file.HttpFile;
import java.util.Map;

/**
 * Serves the web dashboard, bundled into the jar at build time ({@code command/src/main/web},
 * built by {@code build.mjs} into {@code dev/custos/command/web}): {@code /} is the page
 * (revalidated on every load), {@code /assets/} the scripts and styles with content-hashed names
 * (cached for a year, gzip or brotli when the client takes them). Every answer carries a strict
 * content security policy: scripts, styles and connections from this origin only, nothing inline,
 * no frames. When the bundle is missing (a build with {@code -Dskip.npm}), both answer 503 with a
 * page saying how to build it. Thread-safe.
 */
public final class Dashboard {
  /** Where the bundle lives on the class path. */
  public static final String ROOT = "dev/custos/command/web";

  /** The content security policy of every dashboard answer. */
  public static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self';"
      + " img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none';"
      + " base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  private static final Map<String, String> HEADERS = Map.of(
      "content-security-policy", CSP,
      "x-content-type-options", "nosniff",
      "x-frame-options", "DENY",
      "referrer-policy", "no-referrer",
      "cross-origin-opener-policy", "same-origin",
      "cross-origin-resource-policy", "same-origin");

  static final String MISSING = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><title>Custos: dashboard not built</title></head>
      <body><h1>The dashboard is not in this build</h1>
      <p>This command plane was built without its web dashboard (for example with
      <code>-Dskip.npm</code>). The API under <code>/api/v1/</code> works as usual.</p>
      <p>To include the dashboard, build the <code>command</code> module with Node.js and npm on the
      PATH and without <code>-Dskip.npm</code>, for example
      <code>mvn -pl cli -am package -DskipTests</code>: the build runs <code>npm ci</code> and
      bundles <code>command/src/main/web</code> into the jar.</p></body></html>
      """;

  private Dashboard() {}

  /** Adds the dashboard's routes ({@code /}, {@code /index.html}, {@code /assets/}). */
  public static void addTo(ServerBuilder sb) {
    addTo(sb, Dashboard.class.getClassLoader(), ROOT);
  }

  /** Adds the dashboard's routes, serving the bundle found under {@code root}. */
  static void addTo(ServerBuilder sb, ClassLoader classLoader, String root) {
    requireNonNull(sb, "sb");
    requireNonNull(classLoader, "classLoader");
    requireNonNull(root, "root");
    HttpService page;
    HttpService assets;
    if (classLoader.getResource(root + "/index.html") == null) {
      page = (ctx, req) -> missing();
      assets = page;
    } else {
      var index = HttpFile.builder(classLoader, root + "/index.html")
          .cacheControl(ServerCacheControl.REVALIDATED)
          .contentType(MediaType.HTML_UTF_8);
      HEADERS.forEach(index::setHeader);
      page = index.build().asService();
      var files = FileService.builder(classLoader, root + "/assets")
          .cacheControl(ServerCacheControl.IMMUTABLE)
          .serveCompressedFiles(true);
      HEADERS.forEach(files::setHeader);
      assets = files.build();
    }
    sb.service("/", page);
    sb.service("/index.html", page);
    sb.serviceUnder("/assets/", assets);
  }

  private static HttpResponse missing() {
    ResponseHeadersBuilder h = ResponseHeaders.builder(HttpStatus.SERVICE_UNAVAILABLE)
        .contentType(MediaType.HTML_UTF_8)
        .set("cache-control", "no-store");
    HEADERS.forEach(h::set);
    return HttpResponse.of(h.build(), HttpData.ofUtf8(MISSING));
  }
}
