package dev.custos.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A plain TCP upstream on a loopback port: collects every byte its clients send, in order per
 * connection; can hold off reading until released (a slow upstream) and answer what it read.
 */
final class TcpUpstream implements AutoCloseable {
  private final ServerSocket server;
  private final ByteArrayOutputStream received = new ByteArrayOutputStream();
  private final List<Socket> sockets = new ArrayList<>();
  private final List<ByteArrayOutputStream> byConnection = new ArrayList<>();
  private final CountDownLatch release;
  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger ends = new AtomicInteger();
  /** Every byte received, counted even when not kept. */
  final java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
  private final boolean keep;
  private volatile Function<byte[], byte[]> answer = b -> new byte[0];

  TcpUpstream(boolean paused) throws IOException {
    this(paused, true);
  }

  /** An upstream that starts reading only once released, and keeps bytes only when told to. */
  TcpUpstream(boolean paused, boolean keep) throws IOException {
    this.keep = keep;
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    release = new CountDownLatch(paused ? 1 : 0);
    Thread t = new Thread(this::accept, "tcp-upstream");
    t.setDaemon(true);
    t.start();
  }

  TcpUpstream() throws IOException {
    this(false);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Answers each read with what {@code f} makes of it. */
  void answer(Function<byte[], byte[]> f) {
    this.answer = f;
  }

  /** Lets a paused upstream start reading. */
  void release() {
    release.countDown();
  }

  byte[] received() {
    synchronized (received) {
      return received.toByteArray();
    }
  }

  /** Returns what each connection sent, in the order they were accepted. */
  List<String> receivedByConnection() {
    List<String> out = new ArrayList<>();
    synchronized (received) {
      for (ByteArrayOutputStream b : byConnection) {
        out.add(b.toString(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  String receivedText() {
    return new String(received(), java.nio.charset.StandardCharsets.UTF_8);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        synchronized (sockets) {
          sockets.add(s);
        }
        connections.incrementAndGet();
        Thread t = new Thread(() -> read(s), "tcp-upstream-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void read(Socket s) {
    ByteArrayOutputStream mine = new ByteArrayOutputStream();
    synchronized (received) {
      byConnection.add(mine);
    }
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      release.await();
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) >= 0) {
        byte[] got = java.util.Arrays.copyOf(buf, n);
        count.addAndGet(n);
        if (keep) {
          synchronized (received) {
            received.write(got);
            mine.write(got);
          }
        }
        byte[] reply = answer.apply(got);
        if (reply.length > 0) {
          out.write(reply);
          out.flush();
        }
      }
      ends.incrementAndGet();
    } catch (IOException | InterruptedException e) {
      // The test decides what a broken connection means.
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    synchronized (sockets) {
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
