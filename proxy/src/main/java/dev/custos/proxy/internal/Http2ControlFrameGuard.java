package dev.custos.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2FrameListenerDecorator;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Bounds what an HTTP/2 client connection can make the proxy do without asking for anything:
 *
 * <ul>
 *   <li>PING and SETTINGS acknowledgements queued for a client that sends control frames without
 *       reading its socket: past {@code maxQueued} acknowledgements answered while 64 KiB or more
 *       wait in the connection's outbound buffer;
 *   <li>PRIORITY frames (CVE-2019-9513/9516 style floods): at most {@code priorityPerStream} per
 *       stream the client opened, plus that many;
 *   <li>WINDOW_UPDATE frames (CVE-2019-9517 style): at most {@code windowUpdatesPerDataFrame} per
 *       16 KiB the proxy wrote to the connection, plus that many per stream the client opened,
 *       plus that many: a client grants window for what it received.
 * </ul>
 *
 * <p>Past a bound the connection gets GOAWAY ENHANCE_YOUR_CALM, stops being read, and is closed a
 * moment later. RST_STREAM floods (rapid reset) are bounded by Armeria's reset limit, empty DATA
 * frames and small CONTINUATION frames by Netty's decoder, header blocks by the header list size.
 *
 * <p>Netty's own acknowledgement bound ({@code Http2ControlFrameLimitEncoder}) only applies to
 * handlers its builder assembles from a connection; Armeria hands its builder a ready codec, so
 * without this guard the queue of acknowledgements grows until the heap is exhausted. Installed
 * first in every client channel's pipeline, the guard waits until the HTTP/2 handler appears (prior
 * knowledge, upgrade or ALPN), wraps that handler's frame listener, puts a counter of written bytes
 * in front of it, and removes itself. Frames that Netty drops before its listener (a WINDOW_UPDATE
 * or unknown frame for a closed stream) are not counted. Memory per connection stays within the
 * data HTTP/2 flow control lets through, plus 64 KiB, plus {@code maxQueued} acknowledgements.
 */
public final class Http2ControlFrameGuard extends ChannelInboundHandlerAdapter {
  /** How long a tripped connection has to read its GOAWAY before it is closed. */
  private static final long CLOSE_DELAY_MILLIS = 1000;

  /**
   * Outbound bytes from which the peer is taken not to keep up (Netty's default high-water
   * mark); acknowledgements answered while more is waiting count against the bound.
   */
  private static final long BACKLOG_BYTES = 64 * 1024;

  /** What a write of this many bytes allows, for WINDOW_UPDATE frames: a default DATA frame. */
  private static final long DATA_FRAME_BYTES = 16 * 1024;

  /**
   * The bounds of one connection.
   *
   * @param maxQueued acknowledgements queued behind unread output
   * @param priorityPerStream PRIORITY frames per stream opened, plus one
   * @param windowUpdatesPerDataFrame WINDOW_UPDATE frames per 16 KiB written and per stream opened,
   *     plus one
   */
  public record Limits(int maxQueued, int priorityPerStream, int windowUpdatesPerDataFrame) {
    /** Checks that every bound is at least 1. */
    public Limits {
      positive(maxQueued, "maxQueued");
      positive(priorityPerStream, "priorityPerStream");
      positive(windowUpdatesPerDataFrame, "windowUpdatesPerDataFrame");
    }

    private static void positive(int n, String name) {
      if (n < 1) {
        throw new IllegalArgumentException(name + ": " + n + " (expected: >= 1)");
      }
    }
  }

  private final Limits limits;

  private Http2ControlFrameGuard(Limits limits) {
    this.limits = limits;
  }

  /** Returns a pipeline customizer that installs the guard with these bounds. */
  public static Consumer<ChannelPipeline> installer(Limits limits) {
    java.util.Objects.requireNonNull(limits, "limits");
    return pipeline -> pipeline.addFirst("custos-http2-control-frame-guard",
        new Http2ControlFrameGuard(limits));
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ChannelHandlerContext h2ctx = ctx.pipeline().context(Http2ConnectionHandler.class);
    if (h2ctx != null) {
      Http2ConnectionDecoder decoder = ((Http2ConnectionHandler) h2ctx.handler()).decoder();
      WrittenBytes written = new WrittenBytes();
      ctx.pipeline().addBefore(h2ctx.name(), "custos-http2-written-bytes", written);
      decoder.frameListener(new Listener(decoder.frameListener(), limits, written));
    }
    ctx.fireChannelRead(msg);
    if (h2ctx != null) {
      ctx.pipeline().remove(this);
    }
  }

  /**
   * Counts the bytes the HTTP/2 handler writes (it sits between that handler and the socket);
   * confined to the event loop.
   */
  private static final class WrittenBytes extends ChannelOutboundHandlerAdapter {
    private long bytes;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise)
        throws Exception {
      if (msg instanceof ByteBuf buf) {
        bytes += buf.readableBytes();
      }
      super.write(ctx, msg, promise);
    }
  }

  /**
   * Counts the acknowledgements the decoder has just queued, and the PRIORITY and WINDOW_UPDATE
   * frames against the streams opened and the bytes written; confined to the event loop.
   */
  private static final class Listener extends Http2FrameListenerDecorator {
    private final int maxQueued;
    private final Limits limits;
    private final WrittenBytes written;
    private int queued;
    private long streams;
    private long priorities;
    private long windowUpdates;
    private boolean tripped;

    Listener(Http2FrameListener delegate, Limits limits, WrittenBytes written) {
      super(delegate);
      this.limits = limits;
      this.maxQueued = limits.maxQueued();
      this.written = written;
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
        int padding, boolean endOfStream) throws Http2Exception {
      streams++;
      super.onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
        int streamDependency, short weight, boolean exclusive, int padding, boolean endOfStream)
        throws Http2Exception {
      streams++;
      super.onHeadersRead(ctx, streamId, headers, streamDependency, weight, exclusive, padding,
          endOfStream);
    }

    @Override
    public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency,
        short weight, boolean exclusive) throws Http2Exception {
      if (++priorities > limits.priorityPerStream() * (1 + streams)) {
        trip(ctx, "PRIORITY frames");
      }
      super.onPriorityRead(ctx, streamId, streamDependency, weight, exclusive);
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId,
        int windowSizeIncrement) throws Http2Exception {
      long allowed = limits.windowUpdatesPerDataFrame()
          * (1 + streams + written.bytes / DATA_FRAME_BYTES);
      if (++windowUpdates > allowed) {
        trip(ctx, "WINDOW_UPDATE frames");
      }
      super.onWindowUpdateRead(ctx, streamId, windowSizeIncrement);
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
      trip(ctx, "control frames queued for a peer that does not read");
    }

    /** Ends the connection: GOAWAY ENHANCE_YOUR_CALM, no more reads, closed a moment later. */
    private void trip(ChannelHandlerContext ctx, String what) throws Http2Exception {
      if (tripped) {
        return;
      }
      tripped = true;
      Channel ch = ctx.channel();
      ch.config().setAutoRead(false);
      ctx.executor().schedule(() -> {
        ch.close();
      }, CLOSE_DELAY_MILLIS, TimeUnit.MILLISECONDS);
      // Netty answers a connection error with GOAWAY carrying its code.
      throw Http2Exception.connectionError(Http2Error.ENHANCE_YOUR_CALM, "too many %s", what);
    }
  }
}
