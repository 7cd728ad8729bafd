package dev.custos.proxy.internal.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Looks at a connection's first bytes and decides who serves it: when they hold a whole HTTP/1.1
 * request head that {@link RequestHeads#simple} accepts and the running configuration is
 * relay-eligible, the relay takes the connection (Armeria's HTTP/1 handler is removed, the
 * relay's codec and handler put in its place and the bytes read so far passed to them);
 * otherwise (TLS, the HTTP/2 preface, an upgrade, an oversized or unusual head, an ineligible
 * configuration) the gate removes itself and Armeria serves the connection as if the gate had
 * never been there. One instance per channel; used on the channel's event loop only.
 */
final class RelayGate extends ChannelInboundHandlerAdapter {
  private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
      .getBytes(StandardCharsets.US_ASCII);
  /** Armeria's handler that tells HTTP/2's preface from HTTP/1 and owns the keep-alive timer. */
  private static final String ARMERIA_DECODER =
      "com.linecorp.armeria.server.HttpServerPipelineConfigurator$Http2PrefaceOrHttpHandler";

  private final Http1Relay relay;
  private ByteBuf held;

  RelayGate(Http1Relay relay) {
    this.relay = relay;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof ByteBuf in)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (held == null) {
      held = in;
    } else {
      held = ctx.alloc().compositeBuffer(Integer.MAX_VALUE).addComponents(true, held, in);
    }
    int n = held.readableBytes();
    if (!relay.relaying()) {
      armeria(ctx);
      return;
    }
    int r = held.readerIndex();
    for (int i = 0; i < Math.min(n, PREFACE.length); i++) {
      if (held.getByte(r + i) != PREFACE[i]) {
        decide(ctx);
        return;
      }
    }
    if (n >= PREFACE.length) {
      armeria(ctx);
    }
    // A prefix of the preface: wait for more.
  }

  private void decide(ChannelHandlerContext ctx) {
    if (!methodPrefix(held)) {
      armeria(ctx); // TLS, or not HTTP/1 at all.
      return;
    }
    int end = RequestHeads.headEnd(held, relay.headLimit);
    if (end == RequestHeads.INCOMPLETE) {
      return;
    }
    if (end < 0 || !RequestHeads.simple(held, end)) {
      armeria(ctx);
      return;
    }
    take(ctx);
  }

  /** Returns whether the bytes so far could begin a request line: a few capitals, then a space. */
  private static boolean methodPrefix(ByteBuf b) {
    int r = b.readerIndex();
    int n = Math.min(b.readableBytes(), 9);
    for (int i = 0; i < n; i++) {
      byte c = b.getByte(r + i);
      if (c == ' ') {
        return i > 0;
      }
      if (c < 'A' || c > 'Z') {
        return false;
      }
    }
    return n < 9;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    release();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    release();
  }

  private void release() {
    if (held != null) {
      held.release();
      held = null;
    }
  }

  /** Leaves the connection to Armeria: removes the gate and passes on what was read. */
  private void armeria(ChannelHandlerContext ctx) {
    ByteBuf bytes = held;
    held = null;
    ctx.pipeline().remove(this);
    ctx.fireChannelRead(bytes);
    ctx.fireChannelReadComplete();
  }

  /** Takes the connection: Armeria's HTTP/1 decoder out, the relay's codec and handler in. */
  private void take(ChannelHandlerContext ctx) {
    ChannelPipeline p = ctx.pipeline();
    List<String> armeria = new ArrayList<>();
    for (Map.Entry<String, ChannelHandler> e : p) {
      if (e.getValue().getClass().getName().equals(ARMERIA_DECODER)) {
        armeria.add(e.getKey());
      }
    }
    // Its removal stops Armeria's keep-alive timer; the relay keeps its own idle timeout.
    for (String name : armeria) {
      p.remove(name);
    }
    // Armeria turns the watermarks off; the relay's backpressure needs them.
    ctx.channel().config().setWriteBufferWaterMark(new WriteBufferWaterMark(32 * 1024, 64 * 1024));
    ClientSide client = new ClientSide(relay, ctx.channel());
    long idle = relay.idleTimeout.toMillis();
    String last = Http1Relay.GATE;
    if (idle > 0) {
      p.addAfter(last, "custos-relay-idle", new IdleStateHandler(0, 0, idle,
          TimeUnit.MILLISECONDS));
      last = "custos-relay-idle";
    }
    p.addAfter(last, "custos-relay-decoder", new RelayRequestDecoder(relay.headLimit));
    p.addAfter("custos-relay-decoder", "custos-relay-encoder",
        new io.netty.handler.codec.http.HttpResponseEncoder());
    p.addAfter("custos-relay-encoder", "custos-relay", client);
    ByteBuf bytes = held;
    held = null;
    p.remove(this);
    p.fireChannelRead(bytes);
    p.fireChannelReadComplete();
  }
}
