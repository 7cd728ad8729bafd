package dev.custos.proxy.internal.l4;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.TlsKeyPair;
import com.linecorp.armeria.common.util.EventLoopGroups;
import dev.custos.engine.ContentType;
import dev.custos.proxy.ProxyConfig;
import dev.custos.proxy.internal.inspect.ProxyInspection;
import dev.custos.proxy.internal.inspect.RecordInspector;
import dev.custos.proxy.internal.tls.FileTlsProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's layer-4 listeners ({@code tcp_listeners}), served with Netty on the proxy's event
 * loops. Listener addresses and framings are fixed at start; the cluster's endpoints and the
 * policy are read from the configuration in force for each new connection and record. Thread-safe.
 */
public final class TcpListeners implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(TcpListeners.class);

  private final EventLoopGroup workers;
  private final Map<String, Listener> listeners = new LinkedHashMap<>();
  private final Map<String, Channel> bound = new LinkedHashMap<>();
  private final ChannelGroup connections =
      new DefaultChannelGroup("custos-tcp", GlobalEventExecutor.INSTANCE);

  /**
   * Creates the listeners of {@code initial}.
   *
   * @param current the configuration in force, read for cluster endpoints
   * @param poll schedules a TLS listener's key material to be reread at the reload interval
   */
  public TcpListeners(ProxyConfig initial, Supplier<ProxyConfig> current, EventLoopGroup workers,
      ProxyInspection inspection, MeterRegistry registry, Consumer<FileTlsProvider> poll) {
    this.workers = requireNonNull(workers, "workers");
    for (ProxyConfig.TcpListener t : initial.tcpListeners()) {
      FileTlsProvider keys = null;
      if (t.tls() != null) {
        keys = new FileTlsProvider("tcp listener " + t.name(), t.tls().cert(), t.tls().key(), null);
        poll.accept(keys);
      }
      listeners.put(t.name(), new Listener(t, initial.clusters().get(t.cluster()), current,
          inspection.records(t.name(), t.framing() == ProxyConfig.TcpFraming.LINES ? "tcp"
              : t.framing().id()), new TcpMetrics(registry, t.name()), keys,
          EventLoopGroups.socketChannelType(workers)));
    }
  }

  /**
   * Binds every listener; returns once they accept connections.
   *
   * @throws IllegalStateException if one cannot bind (those bound are closed)
   */
  public synchronized void start() {
    for (Listener l : listeners.values()) {
      ProxyConfig.Address a = l.config().listen();
      ServerBootstrap b = new ServerBootstrap()
          .group(workers)
          .channel(EventLoopGroups.serverChannelType(workers))
          .childOption(ChannelOption.AUTO_READ, false)
          .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              connections.add(ch);
              SslContext ssl = l.sslContext();
              if (ssl != null) {
                ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
              }
              ch.pipeline().addLast(new TcpConnection(l));
            }
          });
      io.netty.channel.ChannelFuture f = b.bind(new InetSocketAddress(a.host(), a.port()))
          .awaitUninterruptibly();
      if (!f.isSuccess()) {
        close(Duration.ZERO);
        throw new IllegalStateException("tcp_listeners." + l.name() + ": cannot listen on " + a
            + " (" + f.cause().getMessage() + ")", f.cause());
      }
      bound.put(l.name(), f.channel());
      logger.info("tcp listener {} ({}{}) on {}", l.name(), l.config().framing().id(),
          l.config().tls() != null ? ", tls" : "", f.channel().localAddress());
    }
  }

  /** Returns the bound port of the listener named {@code name}, if it is listening. */
  public synchronized OptionalInt port(String name) {
    Channel c = bound.get(requireNonNull(name, "name"));
    return c == null ? OptionalInt.empty()
        : OptionalInt.of(((InetSocketAddress) c.localAddress()).getPort());
  }

  /**
   * Stops accepting, then closes the open connections (each flushes what it has decoded to its
   * upstream first) and waits for them up to {@code timeout}.
   */
  public synchronized void close(Duration timeout) {
    for (Channel c : bound.values()) {
      c.close().awaitUninterruptibly();
    }
    bound.clear();
    connections.close().awaitUninterruptibly(Math.max(1, timeout.toMillis()),
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }

  /** One listener's settings and shared parts. */
  static final class Listener {
    private final ProxyConfig.TcpListener config;
    private final ProxyConfig.Cluster initialCluster;
    private final Supplier<ProxyConfig> current;
    private final RecordInspector inspector;
    private final TcpMetrics metrics;
    private final @Nullable FileTlsProvider keys;
    private final Class<? extends SocketChannel> socketChannelType;
    private final RecordCodec codec;
    private final AtomicInteger next = new AtomicInteger();
    private @Nullable TlsKeyPair keyPair;
    private @Nullable SslContext ssl;

    Listener(ProxyConfig.TcpListener config, ProxyConfig.Cluster cluster,
        Supplier<ProxyConfig> current, RecordInspector inspector, TcpMetrics metrics,
        @Nullable FileTlsProvider keys, Class<? extends SocketChannel> socketChannelType) {
      this.config = config;
      this.initialCluster = requireNonNull(cluster, "cluster");
      this.current = current;
      this.inspector = inspector;
      this.metrics = metrics;
      this.keys = keys;
      this.socketChannelType = socketChannelType;
      boolean forward = config.onOversized() == ProxyConfig.OnOversized.FORWARD;
      this.codec = switch (config.framing()) {
        case LINES -> new TextCodec(inspector, metrics, config.format(), false);
        case SYSLOG -> new TextCodec(inspector, metrics, ContentType.TEXT, true);
        case FLUENT_FORWARD -> new FluentCodec(inspector, metrics, forward,
            Math.min(64L << 20, 32L * config.maxFrameBytes()));
      };
    }

    String name() {
      return config.name();
    }

    ProxyConfig.TcpListener config() {
      return config;
    }

    RecordInspector inspector() {
      return inspector;
    }

    TcpMetrics metrics() {
      return metrics;
    }

    RecordCodec codec() {
      return codec;
    }

    Class<? extends SocketChannel> socketChannelType() {
      return socketChannelType;
    }

    FrameDecoder newDecoder() {
      boolean forward = config.onOversized() == ProxyConfig.OnOversized.FORWARD;
      return switch (config.framing()) {
        case LINES -> new LineDecoder(config.maxFrameBytes(), forward);
        case SYSLOG -> new SyslogDecoder(config.maxFrameBytes(), forward);
        case FLUENT_FORWARD -> new MsgpackDecoder(config.maxFrameBytes(), forward);
      };
    }

    /** Returns the cluster as the configuration in force defines it (else as at start). */
    ProxyConfig.Cluster cluster() {
      ProxyConfig.Cluster c = current.get().clusters().get(config.cluster());
      return c != null && !c.endpoints().isEmpty() ? c : initialCluster;
    }

    /** Returns the endpoint of a new connection, in turn. */
    ProxyConfig.Address nextEndpoint(ProxyConfig.Cluster cluster) {
      List<ProxyConfig.Address> endpoints = new ArrayList<>(cluster.endpoints());
      return endpoints.get(Math.floorMod(next.getAndIncrement(), endpoints.size()));
    }

    /** Returns the TLS context for a new connection, made again when the key files changed. */
    synchronized @Nullable SslContext sslContext() {
      FileTlsProvider k = keys;
      ProxyConfig.Tls tls = config.tls();
      if (k == null || tls == null) {
        return null;
      }
      TlsKeyPair pair = k.keyPair("*");
      if (pair == null) {
        throw new IllegalStateException("tcp listener " + name() + ": no key material loaded");
      }
      if (pair != keyPair || ssl == null) {
        try {
          SslContextBuilder b = SslContextBuilder.forServer(pair.privateKey(),
              pair.certificateChain()).protocols(tls.minVersion().equals("TLSv1.3")
                  ? new String[] {"TLSv1.3"} : new String[] {"TLSv1.3", "TLSv1.2"});
          if (!tls.ciphers().isEmpty()) {
            b.ciphers(tls.ciphers());
          }
          ssl = b.build();
          keyPair = pair;
        } catch (SSLException e) {
          throw new IllegalStateException("tcp listener " + name() + ": TLS context: "
              + e.getMessage(), e);
        }
      }
      return ssl;
    }
  }
}
