package dev.custos.proxy.internal;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.Flags;
import com.linecorp.armeria.common.util.EventLoopGroups;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Acceptor ("boss") event loop groups for Armeria servers that stop without Netty's quiet period.
 *
 * <p>An Armeria server accepts on one boss group per port and, once its listening channels are
 * closed, stops each with Netty's {@code shutdownGracefully()}: a fixed 2 s quiet period during
 * which the group waits for tasks that never come (it only accepted connections, and no longer
 * listens), so that every {@code Server.stop()} took at least 2 s. Armeria shuts down the group
 * that made the channel's event loop (not a wrapper around it), so the group itself overrides
 * {@code shutdownGracefully()}. Transports other than epoll and NIO (kqueue, io_uring) keep Armeria's own
 * boss group, and with it the quiet period.
 */
public final class BossGroups {
  /** How long a boss group may take to close its channels once asked to stop. */
  private static final long SHUTDOWN_TIMEOUT_SECONDS = 5;

  private BossGroups() {}

  /**
   * Returns a one-thread event loop group of the transport Armeria uses ({@link
   * Flags#transportType()}), whose thread is named {@code name} as Armeria names its own: pass
   * {@code BossGroups::newBossGroup} to {@code ServerBuilder.bossGroupFactory}.
   */
  public static EventLoopGroup newBossGroup(String name) {
    requireNonNull(name, "name");
    ThreadFactory threads = r -> {
      Thread t = new FastThreadLocalThread(r, name);
      t.setDaemon(false);
      return t;
    };
    IoHandlerFactory handlers = handlers();
    return handlers == null ? EventLoopGroups.newEventLoopGroup(1, threads)
        : new WithoutQuietPeriod(threads, handlers);
  }

  private static @Nullable IoHandlerFactory handlers() {
    switch (Flags.transportType()) {
      case EPOLL:
        return EpollIoHandler.newFactory();
      case NIO:
        return NioIoHandler.newFactory();
      default:
        return null;
    }
  }

  /** One event loop whose graceful shutdown has no quiet period. */
  private static final class WithoutQuietPeriod extends MultiThreadIoEventLoopGroup {
    WithoutQuietPeriod(ThreadFactory threads, IoHandlerFactory handlers) {
      super(1, threads, handlers);
    }

    @Override
    public Future<?> shutdownGracefully() {
      return shutdownGracefully(0, SHUTDOWN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
  }
}
