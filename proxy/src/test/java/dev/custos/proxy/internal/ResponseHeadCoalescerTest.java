package dev.custos.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What reaches the transport, flush by flush, when Armeria writes a response through {@link
 * ResponseHeadCoalescer}: Armeria's pattern is write, flush, and the next write only once the
 * previous one's promise completed. Writes go through the pipeline (EmbeddedChannel's own write
 * and flush run the queued tasks at once); {@code runPendingTasks()} is the end of the event
 * loop's turn.
 */
class ResponseHeadCoalescerTest {
  private final Wire wire = new Wire();
  private final EmbeddedChannel channel = new EmbeddedChannel(wire, new ResponseHeadCoalescer());

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  @Test
  void aHeadAndTheBodyWrittenOnceItsPromiseCompletedLeaveInOneFlush() {
    ChannelPromise head = channel.newPromise();
    channel.pipeline().write(head(HttpResponseStatus.OK), head);
    channel.pipeline().flush();
    assertThat(head.isSuccess()).as("the head's write completes before it is flushed").isTrue();
    assertThat(wire.flushes).isEmpty();

    ChannelPromise body = channel.newPromise();
    channel.pipeline().write(body("hello"), body);
    channel.pipeline().flush();

    assertThat(wire.flushes).containsExactly(List.of("head 200", "last content 5"));
    channel.runPendingTasks();
    assertThat(wire.flushes).as("the queued flush finds nothing held").hasSize(1);
  }

  @Test
  void aHeadWhoseBodyIsNotReadyLeavesOnceTheEventLoopRunsItsQueuedTasks() {
    channel.pipeline().write(head(HttpResponseStatus.OK), channel.newPromise());
    channel.pipeline().flush();
    assertThat(wire.flushes).isEmpty();

    channel.runPendingTasks();

    assertThat(wire.flushes).containsExactly(List.of("head 200"));
    channel.pipeline().writeAndFlush(body("late"));
    assertThat(wire.flushes).containsExactly(List.of("head 200"), List.of("last content 4"));
  }

  @Test
  void informationalAndBodilessResponsesAreNotHeld() {
    channel.pipeline().writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
    channel.pipeline().writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.NO_CONTENT, Unpooled.EMPTY_BUFFER));
    channel.pipeline().writeAndFlush(head(HttpResponseStatus.SWITCHING_PROTOCOLS));

    assertThat(wire.flushes).containsExactly(List.of("full 100"), List.of("full 204"),
        List.of("head 101"));
  }

  @Test
  void aHeadWhoseWriteFailsClosesTheConnection() {
    wire.failNextWrite = true;
    ChannelPromise head = channel.newPromise();
    channel.pipeline().write(head(HttpResponseStatus.OK), head);
    channel.pipeline().flush();
    assertThat(head.isSuccess()).isTrue();

    ChannelPromise body = channel.newPromise();
    channel.pipeline().write(body("hello"), body);
    channel.pipeline().flush();
    channel.runPendingTasks();

    assertThat(channel.isOpen()).isFalse();
    assertThat(body.isSuccess()).as("the body never went out").isFalse();
  }

  private static DefaultLastHttpContent body(String text) {
    return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII));
  }

  private static DefaultHttpResponse head(HttpResponseStatus status) {
    return new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
  }

  /** The transport's side: records the messages that each flush sends. */
  private static final class Wire extends ChannelOutboundHandlerAdapter {
    final List<List<String>> flushes = new ArrayList<>();
    private final List<String> pending = new ArrayList<>();
    private final List<ChannelPromise> promises = new ArrayList<>();
    boolean failNextWrite;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      pending.add(describe(msg));
      ReferenceCountUtil.release(msg);
      if (failNextWrite) {
        failNextWrite = false;
        promise.setFailure(new java.io.IOException("example: connection reset by peer"));
        return;
      }
      promises.add(promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
      if (!pending.isEmpty()) {
        flushes.add(List.copyOf(pending));
        pending.clear();
      }
      promises.forEach(ChannelPromise::trySuccess);
      promises.clear();
    }

    private static String describe(Object msg) {
      if (msg instanceof DefaultFullHttpResponse full) {
        return "full " + full.status().code();
      }
      if (msg instanceof DefaultHttpResponse head) {
        return "head " + head.status().code();
      }
      if (msg instanceof DefaultLastHttpContent last) {
        return "last content " + last.content().readableBytes();
      }
      return msg.getClass().getSimpleName();
    }
  }
}
