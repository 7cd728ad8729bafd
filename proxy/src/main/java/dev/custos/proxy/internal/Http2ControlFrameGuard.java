package dev.custos.proxy.internal;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Bounds the PING and SETTINGS acknowledgements queued for an HTTP/2 client connection that
 * sends control frames without reading its socket: past {@code maxQueued} acknowledgements
 * answered while 64 KiB or more wait in the connection's outbound buffer, the connection gets GOAWAY
 * ENHANCE_YOUR_CALM, stops being read, and is closed a moment later.
 *
 * <p>Netty's own bound ({@code Http2ControlFrameLimitEncoder}) only applies to handlers its builder
 * assembles from a connection; Armeria hands its builder a ready codec, so without this guard the
 * queue of acknowledgements grows until the heap is exhausted. Installed first in every client
 * channel's pipeline, the guard waits until the HTTP/2 handler appears (prior knowledge, upgrade
 * or ALPN), wraps that handler's frame listener, and removes itself. Memory per connection stays
 * within the data HTTP/2 flow control lets through, plus 64 KiB, plus {@code maxQueued}
 * acknowledgements.
 */
public final class Http2ControlFrameGuard extends ChannelInboundHandlerAdapter {
  /** How long a tripped connection has to read its GOAWAY before it is closed. */
  private static final long CLOSE_DELAY_MILLIS = 1000;

  /**
   * Outbound bytes from which the peer is taken not to keep up (Netty's default high-water
   * mark); acknowledgements answered while more is waiting count against the bound.
   */
  private static final long BACKLOG_BYTES = 64 * 1024;

  private final int maxQueued;

  private Http2ControlFrameGuard(int maxQueued) {
    this.maxQueued = maxQueued;
  }

  /** Returns a pipeline customizer that installs the guard with a bound. */
  public static Consumer<ChannelPipeline> installer(int maxQueued) {
    if (maxQueued < 1) {
      throw new IllegalArgumentException("maxQueued: " + maxQueued + " (expected: >= 1)");
    }
    return pipeline -> pipeline.addFirst("custos-http2-control-frame-guard",
        new Http2ControlFrameGuard(maxQueued));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Http2ConnectionHandler h2 = ctx.pipeline().get(Http2ConnectionHandler.class);
    if (h2 != null) {
      Http2ConnectionDecoder decoder = h2.decoder();
      decoder.frameListener(new Listener(decoder.frameListener(), maxQueued));
    }
    ctx.fireChannelRead(msg);
    if (h2 != null) {
      ctx.pipeline().remove(this);
    }
  }

  /** Counts the acknowledgements the decoder has just queued; confined to the event loop. */
  private static final class Listener extends Http2FrameListenerDecorator {
    private final int maxQueued;
    private int queued;
    private boolean tripped;

    Listener(Http2FrameListener delegate, int maxQueued) {
      super(delegate);
      this.maxQueued = maxQueued;
    }

    @Override
    public void onPingRead(ChannelHandlerContext ctx, long data) throws Http2Exception {
      // The decoder has queued the PING's acknowledgement before calling this listener.
      acknowledged(ctx);
      super.onPingRead(ctx, data);
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings)
        throws Http2Exception {
      acknowledged(ctx);
      super.onSettingsRead(ctx, settings);
    }

    private void acknowledged(ChannelHandlerContext ctx) throws Http2Exception {
      Channel ch = ctx.channel();
      // Armeria turns writability off (its high-water mark is Integer.MAX_VALUE): the bytes
      // waiting in the outbound buffer tell whether the peer keeps up.
      ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
      if (out == null || out.totalPendingWriteBytes() < BACKLOG_BYTES) {
        queued = 0;
        return;
      }
      if (++queued <= maxQueued) {
        return;
      }
      if (tripped) {
        return;
      }
      tripped = true;
      ch.config().setAutoRead(false);
      ctx.executor().schedule(() -> {
        ch.close();
      }, CLOSE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      // Netty answers a connection error with GOAWAY carrying its code.
      throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM,
          "more than %d control frames queued for a peer that does not read", maxQueued);
    }
  }
}
