package dev.custos.proxy;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import dev.custos.proxy.internal.inspect.InspectionPlan;
import dev.custos.proxy.internal.inspect.Inspector;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Decorates a route's service with data inspection: per request and per response it selects the
 * policy's applicable rules, scans the body as it streams (JSON, text, forms; {@code gzip},
 * {@code deflate} and, when the native Brotli library loads, {@code br} bodies decoded within
 * limits), the request's header values and query parameters, and observes, redacts, blocks or
 * alerts as the rules say, with per-message and per-identity conditions. In shadow mode
 * ({@code enforce: false}) it decides everything and changes nothing.
 *
 * <p>A request that a block rule could refuse is held (up to {@link
 * InspectionSettings#maxInspectedBody()}) until inspected, so a refused request never reaches the
 * service: the client gets {@code 403 {"error":"blocked","rule":"<rule name>"}}. A response that a
 * block rule could refuse is held with its headers, and replaced by the same 403. A block that
 * arises after bytes went out (past the hold limit, when {@code on_uninspectable} allowed going
 * on) aborts the stream: {@code RST_STREAM} on HTTP/2, a closed connection on HTTP/1.1; it is
 * counted as {@code custos_blocked_total{stage="stream_aborted"}}.
 *
 * <p>In the filter chain it sits after authentication, authorization and limits, and before
 * WebAssembly filters and the upstream. Thread-safe; scanning runs on the request's event loop,
 * one bounded chunk at a time.
 */
public final class InspectionService extends SimpleDecoratingHttpService {
  private final Supplier<InspectionSettings> settings;
  /** The plan of the settings last returned: they usually stay the same from one request on. */
  private volatile @Nullable InspectionPlan last;

  /**
   * Returns a decorator that inspects with the settings {@code settings} returns; each exchange
   * asks it once, so a reload takes effect from the next request.
   */
  public static Function<? super HttpService, InspectionService> newDecorator(
      Supplier<InspectionSettings> settings) {
    requireNonNull(settings, "settings");
    return delegate -> new InspectionService(delegate, settings);
  }

  /** Returns a decorator that always inspects with {@code settings}. */
  public static Function<? super HttpService, InspectionService> newDecorator(
      InspectionSettings settings) {
    requireNonNull(settings, "settings");
    return newDecorator(() -> settings);
  }

  private InspectionService(HttpService delegate, Supplier<InspectionSettings> settings) {
    super(delegate);
    this.settings = settings;
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    InspectionSettings s = requireNonNull(settings.get(), "settings.get()");
    InspectionPlan plan = last;
    if (plan == null || plan.settings() != s) {
      plan = InspectionPlan.of(s);
      last = plan;
    }
    HttpService delegate = (HttpService) unwrap();
    return Inspector.serve(plan, ctx, req, delegate);
  }
}
