package dev.custos.proxy.internal.inspect;

import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Direction;
import dev.custos.engine.Policy;
import dev.custos.engine.Rule;
import dev.custos.proxy.BudgetKey;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.internal.ErrorResponses;
import dev.custos.proxy.internal.shared.SharedStateUnavailableException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up the inspection of one exchange: the caller's identity, the rules for the request and
 * for the response, the caller's budgets (fetched first, without blocking, when replicas share
 * them; 503 when they cannot be fetched and the store fails closed), the scan of the request's
 * headers and query, and the pumps that carry both bodies.
 */
public final class Inspector {
  private static final Logger logger = LoggerFactory.getLogger(Inspector.class);

  private Inspector() {}

  /** Serves one exchange through {@code delegate}, inspected with {@code settings}. */
  public static HttpResponse serve(InspectionSettings settings, ServiceRequestContext ctx,
      HttpRequest req, HttpService delegate) {
    return serve(InspectionPlan.of(settings), ctx, req, delegate);
  }

  /** Serves one exchange through {@code delegate}, inspected as {@code plan} says. */
  public static HttpResponse serve(InspectionPlan plan, ServiceRequestContext ctx,
      HttpRequest req, HttpService delegate) {
    if (dev.custos.proxy.internal.Selection.webSocket(ctx)) {
      return WebSocketInspection.serve(plan, ctx, req, delegate);
    }
    InspectionSettings settings = plan.settings();
    String identity = settings.callerIdentity().identify(ctx);
    Exchange ex = new Exchange(settings, plan.metrics(), identity, grpcDescriptors(plan, ctx, req),
        ctx.path(), ctx, req.headers());
    ctx.setAttr(InspectionRecord.KEY, ex.record());
    RequestHeaders h = req.headers();
    Policy policy = settings.policy();
    String method = h.method().name();
    String host = hostOf(h.authority());
    String path = ctx.path();
    List<Rule> requestRules = policy.rulesFor(Direction.REQUEST, method, host, path);
    List<Rule> responseRules = policy.rulesFor(Direction.RESPONSE, method, host, path);
    Set<BudgetKey> budgets = RuleTally.budgetKeys(requestRules, responseRules, ex.identityHash());
    if (!budgets.isEmpty()) {
      // A shared store fetches the caller's budgets before anything is inspected, so that no
      // decision waits on it; the in-memory store answers at once.
      CompletableFuture<Void> loaded;
      try {
        loaded = settings.budgetStore().load(budgets, settings.clock().instant())
            .toCompletableFuture();
      } catch (RuntimeException e) {
        loaded = CompletableFuture.failedFuture(e);
      }
      if (!loaded.isDone() || loaded.isCompletedExceptionally()) {
        return HttpResponse.of(loaded.handleAsync((v, error) -> {
          if (error != null) {
            return unavailable(ctx, error);
          }
          return inspect(settings, ex, ctx, req, delegate, requestRules, responseRules);
        }, ctx.eventLoop()));
      }
    }
    return inspect(settings, ex, ctx, req, delegate, requestRules, responseRules);
  }

  private static HttpResponse unavailable(ServiceRequestContext ctx, Throwable error) {
    if (!SharedStateUnavailableException.isCause(error)) {
      logger.warn("inspection: loading the caller's budgets failed ({}); request refused",
          error.getClass().getSimpleName());
    }
    return ErrorResponses.of(HttpStatus.SERVICE_UNAVAILABLE, "shared state unavailable");
  }

  private static HttpResponse inspect(InspectionSettings settings, Exchange ex,
      ServiceRequestContext ctx, HttpRequest req, HttpService delegate, List<Rule> requestRules,
      List<Rule> responseRules) {
    RequestHeaders h = req.headers();
    RuleTally tally = new RuleTally(
        requestRules, settings.budgetStore(), ex.identityHash(), settings.clock());
    FieldScan fields = FieldScan.ofRequest(h);
    fields.scan(ex, tally);
    MessageInspection inspection =
        MessageInspection.of(ex, Direction.REQUEST, tally, h, settings.skippedMediaTypes());
    inspection.fieldNotes(fields.notes());
    inspection.pathScan(fields);
    RequestPump pump = new RequestPump(ctx, req, inspection, fields, ex, forwarded -> {
      HttpResponse res;
      try {
        res = delegate.serve(ctx, forwarded);
      } catch (Exception e) {
        res = HttpResponse.ofFailure(e);
      }
      return ResponsePump.inspect(ctx, res, ex, responseRules);
    });
    return pump.start();
  }

  /**
   * Returns the descriptors a gRPC request's messages are read with: the route's descriptor set,
   * or what server reflection fetched from the route's cluster (null while it fetches).
   */
  private static @Nullable GrpcDescriptors grpcDescriptors(InspectionPlan plan,
      ServiceRequestContext ctx, HttpRequest req) {
    GrpcDescriptors fixed = plan.grpc();
    GrpcReflection reflection = plan.reflection();
    dev.custos.proxy.ProxyConfig.GrpcReflection config = plan.reflectionConfig();
    if (fixed != null || reflection == null || config == null
        || !GrpcRefusals.isGrpc(req.headers().contentType())) {
      return fixed;
    }
    dev.custos.proxy.internal.Selection selection = ctx.attr(dev.custos.proxy.internal.Selection.KEY);
    if (selection == null) {
      return null;
    }
    String cluster = selection.route().cluster();
    return reflection.descriptors(cluster, ctx.path(), config,
        r -> selection.snapshot().client(cluster, r));
  }

  static String hostOf(@Nullable String authority) {
    if (authority == null || authority.isEmpty()) {
      return "";
    }
    if (authority.startsWith("[")) {
      int end = authority.indexOf(']');
      return end > 0 ? authority.substring(1, end) : authority;
    }
    int colon = authority.lastIndexOf(':');
    return colon >= 0 ? authority.substring(0, colon) : authority;
  }
}
