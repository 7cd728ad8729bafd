package dev.custos.proxy.internal;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Sends an HTTP/1 response's head in the same write as the start of its body when both are ready
 * in the same event-loop turn, as they are when a proxied response arrives from upstream in one
 * read.
 *
 * <p>Armeria writes a response's head, flushes it, and asks the response stream for the body only
 * once that write has completed; so headers and body always left in two {@code sendto} calls,
 * about 7 us of kernel time each on loopback. This handler, just before Armeria's request handler
 * in each client channel's pipeline, completes the head's write promise as soon as the head is queued and holds the flush
 * that follows it: the body, when the stream already has it, is written and flushed right after,
 * and both leave in one {@code writev}. A held flush is done at the latest by a task queued on the
 * channel's event loop, which runs once the current turn's work is done, so a head whose body is
 * not there yet (a slow upstream, a server-sent event stream) waits for nothing but that turn.
 *
 * <p>Only non-final, non-informational response heads are held ({@code 100 Continue} and {@code 101
 * Switching Protocols} go out at once; a head without a body is a {@link LastHttpContent} and is
 * not held). HTTP/2 frames never reach this handler: Armeria writes them below it. If the head's
 * write fails once flushed, the connection is closed, so the body's write fails too and Armeria
 * records the failure as for any broken connection. One instance per channel; used on the
 * channel's event loop only.
 */
public final class ResponseHeadCoalescer extends ChannelOutboundHandlerAdapter {
  /** The pipeline name this handler is installed under. */
  public static final String NAME = "custos-response-head-coalescer";

  /** Armeria's last inbound handler; it writes responses and flushes from its own context. */
  private static final String SERVER_HANDLER = "com.linecorp.armeria.server.HttpServerHandler";

  /** The last message written was a response head whose flush is being held. */
  private boolean headHeld;

  /** A task that does a held flush is queued on the event loop. */
  private boolean flushQueued;

  private ChannelHandlerContext context;

  private final Runnable flushHeld = this::flushHeld;

  /** For the installer, and tests of the handler alone. */
  ResponseHeadCoalescer() {}

  /**
   * Returns a pipeline customizer that puts the handler just before Armeria's request handler,
   * where both the encoder's writes (from the channel's tail) and the subscriber's flushes (from
   * the request handler's context) pass: at once on a listener with one protocol, after ALPN on a
   * TLS one (a placer at the front of the pipeline waits for it and removes itself).
   */
  public static Consumer<ChannelPipeline> installer() {
    return pipeline -> {
      if (!place(pipeline)) {
        pipeline.addFirst(NAME + "-placer", new Placer());
      }
    };
  }

  /** Puts a coalescer before Armeria's request handler, once it is there; returns whether it is. */
  private static boolean place(ChannelPipeline p) {
    if (p.get(NAME) != null) {
      return true;
    }
    for (Map.Entry<String, ChannelHandler> e : p) {
      if (e.getValue().getClass().getName().equals(SERVER_HANDLER)) {
        p.addBefore(e.getKey(), NAME, new ResponseHeadCoalescer());
        return true;
      }
    }
    return false;
  }

  /** Waits at the front of the pipeline until Armeria's request handler is in it. */
  private static final class Placer extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (place(ctx.pipeline())) {
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(msg);
        return;
      }
      ctx.fireChannelRead(msg);
      if (place(ctx.pipeline())) {
        ctx.pipeline().remove(this);
      }
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.context = ctx;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse head && !(msg instanceof LastHttpContent)
        && head.status().codeClass() != HttpStatusClass.INFORMATIONAL
        && !promise.isVoid()) {
      ChannelPromise queued = ctx.newPromise();
      queued.addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
      ctx.write(msg, queued);
      headHeld = true;
      // Armeria asks for the body once the head's write has completed: it completes now.
      promise.trySuccess();
      return;
    }
    headHeld = false;
    ctx.write(msg, promise);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    if (!headHeld) {
      ctx.flush();
      return;
    }
    if (!flushQueued) {
      flushQueued = true;
      ctx.executor().execute(flushHeld);
    }
  }

  private void flushHeld() {
    flushQueued = false;
    if (headHeld) {
      headHeld = false;
      context.flush();
    }
  }
}
