package dev.custos.proxy.internal.wasm;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import com.linecorp.armeria.server.SimpleDecoratingHttpService;
import dev.custos.proxy.internal.Selection;
import java.util.List;
import java.util.function.Function;

/**
 * The {@code WASM} stage of the filter chain: runs the route's proxy-wasm filters (from the
 * snapshot the request runs under), the first outermost, each as a {@link FilterExchange} on the
 * request's event loop. A route without filters passes straight through. Thread-safe.
 */
public final class WasmFilterService extends SimpleDecoratingHttpService {
  /** Returns a decorator that runs the routes' proxy-wasm filters. */
  public static Function<? super HttpService, WasmFilterService> newDecorator() {
    return WasmFilterService::new;
  }

  private WasmFilterService(HttpService delegate) {
    super(delegate);
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) throws Exception {
    Selection selection = ctx.attr(Selection.KEY);
    HttpService delegate = (HttpService) unwrap();
    if (selection == null) {
      return delegate.serve(ctx, req);
    }
    List<WasmFilterRuntime> filters = selection.snapshot().wasmFilters(selection.route().name());
    if (filters.isEmpty()) {
      return delegate.serve(ctx, req);
    }
    Function<HttpRequest, HttpResponse> next = r -> {
      try {
        return delegate.serve(ctx, r);
      } catch (Exception e) {
        return HttpResponse.ofFailure(e);
      }
    };
    for (int i = filters.size() - 1; i >= 0; i--) {
      WasmFilterRuntime rt = filters.get(i);
      Function<HttpRequest, HttpResponse> inner = next;
      next = r -> new FilterExchange(rt, ctx, r, inner).start();
    }
    return next.apply(req);
  }
}
