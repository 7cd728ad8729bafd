package dev.custos.proxy.internal.relay;

import dev.custos.proxy.ProxyConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The relay's upstream connections of one event loop: idle keep-alive connections by endpoint,
 * at most {@link #MAX_IDLE} each (the least recently used closed beyond), and new connections
 * opened on the same event loop as the client connection that needs them. Used on its event loop
 * only, apart from {@link #closeAll}.
 */
final class UpstreamPool {
  /** The most idle connections kept per endpoint. */
  static final int MAX_IDLE = 64;

  private final EventLoop loop;
  private final Map<ProxyConfig.Address, ArrayDeque<UpstreamSide>> idle = new HashMap<>();
  private final Map<ProxyConfig.Address, InetSocketAddress> addresses = new HashMap<>();
  private Bootstrap bootstrap;

  UpstreamPool(EventLoop loop) {
    this.loop = loop;
  }

  /** Returns an idle open connection to {@code endpoint}, or null. */
  UpstreamSide take(ProxyConfig.Address endpoint) {
    ArrayDeque<UpstreamSide> q = idle.get(endpoint);
    while (q != null && !q.isEmpty()) {
      UpstreamSide u = q.pollLast();
      if (u.channel().isActive()) {
        return u;
      }
    }
    return null;
  }

  /** Keeps a connection whose exchange ended cleanly for the next request to its endpoint. */
  void give(UpstreamSide u) {
    ArrayDeque<UpstreamSide> q = idle.computeIfAbsent(u.endpoint(), e -> new ArrayDeque<>());
    if (q.size() >= MAX_IDLE) {
      q.pollFirst().channel().close();
    }
    q.addLast(u);
  }

  /** Forgets a connection that closed while idle. */
  void remove(UpstreamSide u) {
    ArrayDeque<UpstreamSide> q = idle.get(u.endpoint());
    if (q != null) {
      q.remove(u);
    }
  }

  /** Opens a connection to {@code endpoint} for {@code owner}, with the client's transport. */
  ChannelFuture connect(Channel like, ProxyConfig.Address endpoint, long connectTimeoutMillis,
      UpstreamSide handler) {
    if (bootstrap == null) {
      bootstrap = new Bootstrap().group(loop).channel(like.getClass().asSubclass(Channel.class))
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_KEEPALIVE, true);
    }
    InetSocketAddress address = addresses.get(endpoint);
    if (address == null) {
      address = new InetSocketAddress(endpoint.host(), endpoint.port());
      addresses.put(endpoint, address);
    }
    Bootstrap b = bootstrap.clone()
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis))
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast(new HttpClientCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(8192)
                .setMaxHeaderSize(64 * 1024)
                .setMaxChunkSize(64 * 1024), false, false), handler);
          }
        });
    return b.connect(address);
  }

  /** Closes every idle connection (from any thread). */
  void closeAll() {
    loop.execute(() -> {
      List<UpstreamSide> all = new ArrayList<>();
      idle.values().forEach(all::addAll);
      idle.clear();
      for (UpstreamSide u : all) {
        u.channel().close();
      }
    });
  }
}
