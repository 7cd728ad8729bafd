package dev.custos.proxy.internal.l4;

import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.inspect.RecordInspector;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection of a layer-4 listener and its connection to the upstream, both on the
 * client's event loop. Client bytes are framed, inspected and forwarded; upstream bytes go back as
 * they are. Backpressure both ways: a side stops being read while the other cannot take more
 * (Netty's writability and auto-read), so the proxy holds at most a read's worth plus a frame per
 * connection. Half-closes are passed on (the last frames first); a side that closes closes the
 * other once what it sent is flushed. Not thread-safe: used from its event loop only.
 */
final class TcpConnection extends ChannelInboundHandlerAdapter implements FrameSink {
  private static final Logger logger = LoggerFactory.getLogger(TcpConnection.class);

  private final TcpListeners.Listener listener;
  private final FrameDecoder decoder;
  private final RecordCodec codec;
  private @Nullable Channel client;
  private @Nullable Channel upstream;
  private RecordInspector.@Nullable Source source;
  private final List<ByteBuf> pending = new ArrayList<>();
  private boolean clientInputDone;
  private boolean upstreamInputDone;
  /** The client's connection has closed: what it sent still goes upstream, then that closes. */
  private boolean clientGone;
  /** Closed on an error or an unreachable upstream: nothing more goes anywhere. */
  private boolean closed;

  TcpConnection(TcpListeners.Listener listener) {
    this.listener = listener;
    this.decoder = listener.newDecoder();
    this.codec = listener.codec();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel c = ctx.channel();
    client = c;
    listener.metrics().connection();
    InetSocketAddress peer = (InetSocketAddress) c.remoteAddress();
    source = listener.inspector().source(peer.getAddress());
    ProxyConfig.Cluster cluster = listener.cluster();
    ProxyConfig.Address endpoint = listener.nextEndpoint(cluster);
    long timeout = cluster.connectTimeout().isZero() ? 86_400_000L
        : Math.max(1, cluster.connectTimeout().toMillis());
    new Bootstrap().group(c.eventLoop())
        .channel(listener.socketChannelType())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout))
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .handler(new Upstream())
        .connect(endpoint.host(), endpoint.port())
        .addListener((ChannelFutureListener) f -> {
          if (!f.isSuccess()) {
            releasePending();
            listener.metrics().upstreamFailure();
            logger.debug("tcp listener {}: connecting to {} failed: {}", listener.name(), endpoint,
                f.cause().getClass().getName());
            close();
            return;
          }
          Channel u = f.channel();
          if (closed) {
            u.close();
            return;
          }
          upstream = u;
          for (ByteBuf b : pending) {
            u.write(b);
          }
          pending.clear();
          u.flush();
          if (clientGone) {
            u.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
          } else if (clientInputDone) {
            shutdownOutput(u);
          } else {
            c.config().setAutoRead(u.isWritable());
          }
        });
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf buf)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (clientInputDone || closed) {
        return;
      }
      int n = buf.readableBytes();
      if (buf.hasArray()) {
        decoder.feed(buf.array(), buf.arrayOffset() + buf.readerIndex(), n, this);
      } else {
        byte[] bytes = new byte[n];
        buf.getBytes(buf.readerIndex(), bytes);
        decoder.feed(bytes, 0, n, this);
      }
    } finally {
      buf.release();
    }
    if (decoder.malformed()) {
      listener.inspector().uninspectable("malformed_frame", "close");
      logger.debug("tcp listener {}: malformed {} stream, connection closed", listener.name(),
          listener.config().framing().id());
      flushUpstream();
      close();
      return;
    }
    flushUpstream();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      endClientInput();
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    endClientInput();
    clientGone = true;
    Channel u = upstream;
    if (u != null) {
      u.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
    // Without an upstream yet, the pending bytes go out once it connects (or are released).
    ctx.fireChannelInactive();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Channel u = upstream;
    if (u != null && !upstreamInputDone) {
      u.config().setAutoRead(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    logger.debug("tcp listener {}: client connection failed: {}", listener.name(),
        cause.getClass().getName());
    close();
  }

  /** The client sent its last byte: its last frame goes out, then the upstream's input ends. */
  private void endClientInput() {
    if (clientInputDone) {
      return;
    }
    clientInputDone = true;
    if (!closed && !decoder.finish(this)) {
      listener.inspector().uninspectable("malformed_frame", "drop");
    }
    flushUpstream();
    Channel u = upstream;
    if (u != null) {
      shutdownOutput(u);
    }
    closeIfBothDone();
  }

  private void closeIfBothDone() {
    if (clientInputDone && upstreamInputDone) {
      Channel c = client;
      Channel u = upstream;
      if (c != null) {
        c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
      if (u != null) {
        u.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
    }
  }

  private static void shutdownOutput(Channel ch) {
    ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
      if (ch.isActive() && ch instanceof SocketChannel s) {
        s.shutdownOutput();
      }
    });
  }

  private void close() {
    closed = true;
    releasePending();
    Channel c = client;
    if (c != null) {
      c.close();
    }
    Channel u = upstream;
    if (u != null) {
      u.close();
    }
  }

  private void releasePending() {
    for (ByteBuf b : pending) {
      b.release();
    }
    pending.clear();
  }

  private void writeUpstream(ByteBuf bytes) {
    Channel u = upstream;
    if (u != null) {
      u.write(bytes);
    } else if (closed) {
      bytes.release();
    } else {
      pending.add(bytes);
    }
  }

  private void flushUpstream() {
    Channel u = upstream;
    Channel c = client;
    if (u == null) {
      return;
    }
    u.flush();
    if (c != null && !u.isWritable() && !clientInputDone) {
      c.config().setAutoRead(false);
    }
  }

  // FrameSink: what the decoder makes of the client's bytes.

  @Override
  public void frame(byte[] content, Framing framing) {
    RecordInspector.Source s = source;
    if (s == null) {
      throw new IllegalStateException("frame before the connection was active");
    }
    byte[] out = codec.encode(content, framing, s, this::reply);
    if (out != null) {
      writeUpstream(Unpooled.wrappedBuffer(out));
    }
  }

  @Override
  public void oversized() {
    boolean forward = listener.config().onOversized() == ProxyConfig.OnOversized.FORWARD;
    listener.inspector().uninspectable("frame_too_large", forward ? "forward" : "drop");
    listener.metrics().record(forward ? "oversized_forwarded" : "oversized_dropped");
  }

  @Override
  public void passthrough(byte[] bytes, int offset, int length) {
    writeUpstream(Unpooled.copiedBuffer(bytes, offset, length));
  }

  private void reply(byte[] bytes) {
    Channel c = client;
    if (c != null && c.isActive()) {
      c.writeAndFlush(Unpooled.wrappedBuffer(bytes));
    }
  }

  /** The upstream side: its bytes go back to the client unchanged. */
  private final class Upstream extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel c = client;
      if (c == null || !c.isActive()) {
        io.netty.util.ReferenceCountUtil.release(msg);
        return;
      }
      c.writeAndFlush(msg);
      if (!c.isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      Channel c = client;
      if (c != null && !clientInputDone) {
        c.config().setAutoRead(ctx.channel().isWritable());
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        upstreamInputDone = true;
        Channel c = client;
        if (c != null) {
          if (c.pipeline().get(SslHandler.class) != null) {
            // TLS has no half-close of its own: the client hears the end as a close.
            c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
          } else {
            shutdownOutput(c);
          }
        }
        closeIfBothDone();
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      upstreamInputDone = true;
      Channel c = client;
      if (c != null) {
        c.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      logger.debug("tcp listener {}: upstream connection failed: {}", listener.name(),
          cause.getClass().getName());
      close();
    }
  }
}
