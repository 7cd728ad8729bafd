package dev.custos.cli.internal;

import java.util.concurrent.CountDownLatch;

/**
 * A JVM shutdown hook for a long-running command: on SIGINT or SIGTERM it counts down the
 * command's {@code stop} latch, then holds the JVM until {@link #close} says the command has
 * stopped. Closing it also removes it.
 */
public final class ShutdownHook implements AutoCloseable {
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final Thread thread;

  private ShutdownHook(CountDownLatch stop, String name) {
    this.thread = new Thread(() -> {
      stop.countDown();
      try {
        stopped.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, name);
  }

  /** Returns a hook, registered with the runtime, that counts down {@code stop}. */
  public static ShutdownHook install(CountDownLatch stop, String name) {
    ShutdownHook hook = new ShutdownHook(stop, name);
    Runtime.getRuntime().addShutdownHook(hook.thread);
    return hook;
  }

  /** Says the command has stopped (letting a running hook end) and removes the hook. */
  @Override
  public void close() {
    stopped.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(thread);
    } catch (IllegalStateException e) {
      // Shutting down already: the hook is running.
    }
  }
}
