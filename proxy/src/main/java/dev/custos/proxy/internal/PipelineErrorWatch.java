package dev.custos.proxy.internal;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reports to {@link FatalErrors} an {@link Error} that reaches the end of a client channel's
 * pipeline: one raised while Netty or Armeria decoded the connection's bytes (a frame, a header
 * block, a request line…), which Armeria's last handler would otherwise only log before closing
 * the connection.
 *
 * <p>Installed in every client channel's pipeline, the watch waits until Armeria has set up the
 * connection's protocol handlers (at once for a listener with one protocol, after protocol
 * detection or ALPN otherwise), puts a listener just before Armeria's request handler, and removes
 * itself on the next read. The listener passes
 * every exception on unchanged.
 */
public final class PipelineErrorWatch extends ChannelInboundHandlerAdapter {
  /** Armeria's last inbound handler, which logs exceptions and closes the channel. */
  private static final String SERVER_HANDLER = "com.linecorp.armeria.server.HttpServerHandler";

  private static final String LISTENER = "custos-pipeline-error-listener";

  private final FatalErrors fatal;

  private PipelineErrorWatch(FatalErrors fatal) {
    this.fatal = fatal;
  }

  /** Returns a pipeline customizer that installs the watch. */
  public static Consumer<ChannelPipeline> installer(FatalErrors fatal) {
    java.util.Objects.requireNonNull(fatal, "fatal");
    return pipeline -> pipeline.addFirst("custos-pipeline-error-watch",
        new PipelineErrorWatch(fatal));
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // A listener with one protocol has Armeria's handlers in place already.
    place(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (place(ctx)) {
      ctx.pipeline().remove(this);
      ctx.fireChannelRead(msg);
      return;
    }
    ctx.fireChannelRead(msg);
    if (place(ctx)) {
      ctx.pipeline().remove(this);
    }
  }

  /** Puts the listener before Armeria's request handler, once it is there; returns whether it is. */
  private boolean place(ChannelHandlerContext ctx) {
    ChannelPipeline p = ctx.pipeline();
    if (p.get(LISTENER) != null) {
      return true;
    }
    for (Map.Entry<String, ChannelHandler> e : p) {
      if (e.getValue().getClass().getName().equals(SERVER_HANDLER)) {
        p.addBefore(e.getKey(), LISTENER, new Listener(fatal));
        return true;
      }
    }
    return false;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Raised before the protocol handlers were set up (by the handlers in front of this one).
    fatal.reportIfFatal(Thread.currentThread().getName(), cause);
    ctx.fireExceptionCaught(cause);
  }

  /** Reports what passes; sharable state is only the recorder, which is thread-safe. */
  private static final class Listener extends ChannelInboundHandlerAdapter {
    private final FatalErrors fatal;

    Listener(FatalErrors fatal) {
      this.fatal = fatal;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fatal.reportIfFatal(Thread.currentThread().getName(), cause);
      ctx.fireExceptionCaught(cause);
    }
  }
}
