package dev.custos.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A DNS responder on a loopback UDP port, for the discovery tests: answers A queries for the
 * names in {@link #a} and SRV queries for those in {@link #srv}, NOERROR with no answer for other
 * types of a known name, NXDOMAIN for other names. One question per query; TTL 1 s.
 */
final class LoopbackDns implements AutoCloseable {
  /** An SRV answer: weight, port and target host. */
  record Srv(int weight, int port, String target) {}

  final Map<String, InetAddress> a = new ConcurrentHashMap<>();
  final Map<String, Srv> srv = new ConcurrentHashMap<>();
  final AtomicInteger queries = new AtomicInteger();
  private final DatagramSocket socket;
  private final Thread thread;

  LoopbackDns() throws SocketException {
    socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    thread = new Thread(this::serve, "loopback-dns");
    thread.setDaemon(true);
    thread.start();
  }

  int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    byte[] buf = new byte[1500];
    while (!socket.isClosed()) {
      DatagramPacket p = new DatagramPacket(buf, buf.length);
      try {
        socket.receive(p);
        queries.incrementAndGet();
        byte[] answer = answer(Arrays.copyOf(p.getData(), p.getLength()));
        socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
      } catch (IOException | RuntimeException e) {
        if (socket.isClosed()) {
          return;
        }
      }
    }
  }

  private byte[] answer(byte[] q) {
    int i = 12;
    StringBuilder name = new StringBuilder();
    while (q[i] != 0) {
      int len = q[i] & 0xff;
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(new String(q, i + 1, len, java.nio.charset.StandardCharsets.US_ASCII));
      i += len + 1;
    }
    int questionEnd = i + 5;
    int type = ((q[i + 1] & 0xff) << 8) | (q[i + 2] & 0xff);
    String n = name.toString().toLowerCase(Locale.ROOT);
    boolean known = a.containsKey(n) || srv.containsKey(n);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(q[0]);
    out.write(q[1]);
    out.write(0x81);
    out.write(known ? 0x80 : 0x83);
    byte[] rdata = null;
    if (type == 1 && a.containsKey(n)) {
      rdata = a.get(n).getAddress();
    } else if (type == 33 && srv.containsKey(n)) {
      Srv s = srv.get(n);
      ByteArrayOutputStream r = new ByteArrayOutputStream();
      short16(r, 0);
      short16(r, s.weight());
      short16(r, s.port());
      for (String label : s.target().split("\\.")) {
        r.write(label.length());
        r.writeBytes(label.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      }
      r.write(0);
      rdata = r.toByteArray();
    }
    short16(out, 1);
    short16(out, rdata == null ? 0 : 1);
    short16(out, 0);
    short16(out, 0);
    out.write(q, 12, questionEnd - 12);
    if (rdata != null) {
      out.write(0xc0);
      out.write(12);
      short16(out, type);
      short16(out, 1);
      short16(out, 0);
      short16(out, 1);
      short16(out, rdata.length);
      out.writeBytes(rdata);
    }
    return out.toByteArray();
  }

  private static void short16(ByteArrayOutputStream out, int v) {
    out.write((v >> 8) & 0xff);
    out.write(v & 0xff);
  }

  @Override
  public void close() {
    socket.close();
  }
}
