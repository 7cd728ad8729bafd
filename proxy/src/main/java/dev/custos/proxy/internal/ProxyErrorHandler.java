package dev.custos.proxy.internal;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.ShuttingDownException;
import com.linecorp.armeria.common.logging.RequestLogProperty;
import com.linecorp.armeria.server.RequestTimeoutException;
import com.linecorp.armeria.server.ServerErrorHandler;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.netty.util.AttributeKey;
import org.jspecify.annotations.Nullable;

/**
 * The listeners' error handler: failures the services did not answer themselves become the
 * proxy's JSON errors ({@link ErrorResponses}): a request refused while shutting down gets 503
 * {@code shutting down}, a request body that sent nothing for {@code request_body_idle_timeout}
 * 408 {@code request body timeout}, an exchange past its route's timeout 408 (body still
 * arriving) or 504; an {@link Error} a service threw, or its response failed with (perhaps wrapped),
 * is also reported to {@link FatalErrors} and answered 500.
 * Anything else falls through to Armeria's default.
 */
public final class ProxyErrorHandler implements ServerErrorHandler {
  /** Set on an exchange whose {@link Error} this handler already reported. */
  public static final AttributeKey<Boolean> FATAL_REPORTED =
      AttributeKey.valueOf(ProxyErrorHandler.class, "FATAL_REPORTED");

  private final FatalErrors fatal;

  /** Creates the handler, reporting errors to {@code fatal}. */
  public ProxyErrorHandler(FatalErrors fatal) {
    this.fatal = fatal;
  }

  @Override
  public @Nullable HttpResponse onServiceException(ServiceRequestContext ctx, Throwable cause) {
    if (fatal.reportIfFatal(Thread.currentThread().getName(), cause)) {
      // The request log will show the same cause: counted once.
      ctx.setAttr(FATAL_REPORTED, Boolean.TRUE);
      return ErrorResponses.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal error");
    }
    if (cause instanceof ShuttingDownException) {
      return ErrorResponses.of(HttpStatus.SERVICE_UNAVAILABLE, "shutting down");
    }
    if (ErrorResponses.requestBodyTimedOut(cause)) {
      return ErrorResponses.of(HttpStatus.REQUEST_TIMEOUT, "request body timeout");
    }
    if (cause instanceof RequestTimeoutException) {
      boolean received = ctx.log().isAvailable(RequestLogProperty.REQUEST_END_TIME);
      return received ? ErrorResponses.of(HttpStatus.GATEWAY_TIMEOUT, "upstream timeout")
          : ErrorResponses.of(HttpStatus.REQUEST_TIMEOUT, "request timeout");
    }
    return null;
  }
}
