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
  private final CountDownLatch release;
  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger ends = new AtomicInteger();
  private volatile Function<byte[], byte[]> answer = b -> new byte[0];

  TcpUpstream(boolean paused) throws IOException {
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
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      release.await();
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) >= 0) {
        byte[] got = java.util.Arrays.copyOf(buf, n);
        synchronized (received) {
          received.write(got);
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
