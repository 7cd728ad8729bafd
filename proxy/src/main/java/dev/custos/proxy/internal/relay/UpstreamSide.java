package dev.custos.proxy.internal.relay;

import dev.custos.proxy.ProxyConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.jspecify.annotations.Nullable;

/**
 * One upstream connection of the relay: hands what it reads to the client connection that owns
 * it, or, while pooled, closes on anything it reads. Used on its event loop only.
 */
final class UpstreamSide extends ChannelInboundHandlerAdapter {
  private final ProxyConfig.Address endpoint;
  private final UpstreamPool pool;
  private @Nullable Channel channel;
  private @Nullable ClientSide owner;

  UpstreamSide(ProxyConfig.Address endpoint, UpstreamPool pool) {
    this.endpoint = endpoint;
    this.pool = pool;
  }

  ProxyConfig.Address endpoint() {
    return endpoint;
  }

  Channel channel() {
    return java.util.Objects.requireNonNull(channel, "channel");
  }

  @Nullable Channel channelOrNull() {
    return channel;
  }

  void owner(@Nullable ClientSide owner) {
    this.owner = owner;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ClientSide o = owner;
    if (o != null) {
      o.fromUpstream(this, msg);
    } else {
      ReferenceCountUtil.release(msg);
      ctx.close(); // An idle connection has nothing to say.
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ClientSide o = owner;
    if (o != null) {
      o.upstreamReadComplete();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ClientSide o = owner;
    if (o != null) {
      o.upstreamWritabilityChanged(this);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    ClientSide o = owner;
    if (o != null) {
      owner = null;
      o.upstreamClosed(this);
    } else {
      pool.remove(this);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
