package dev.custos.proxy.internal.websocket;

import com.linecorp.armeria.common.websocket.CloseWebSocketFrame;
import com.linecorp.armeria.common.websocket.WebSocketCloseStatus;
import com.linecorp.armeria.common.websocket.WebSocketFrame;
import com.linecorp.armeria.common.websocket.WebSocketFrameType;
import com.linecorp.armeria.common.websocket.WebSocketWriter;
import dev.custos.engine.Direction;
import dev.custos.proxy.internal.inspect.WebSocketInspection;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * One proxied WebSocket session: two pumps, client to upstream ({@link Direction#REQUEST}) and
 * upstream to client, each reading one frame at a time and asking for the next only once the
 * frame it wrote has been taken by the other side (so a slow peer slows the sender; at most one
 * frame, plus a message held for inspection, is buffered per direction).
 *
 * <p>Data frames: each message is inspected fragment by fragment (when the route inspects) and
 * re-framed: what the inspection lets go on is sent as the message's fragments, so a held message
 * goes on as one frame, a redacted one with its new length. Pings and pongs are relayed as they
 * are (control frames carry at most 125 bytes and are not inspected). A close frame is relayed
 * with its status code; its reason text is not (it is not inspected). A refused message closes
 * both sides with 1008 (policy violation), or 1009 (message too big) when it was refused for its
 * size, with a reason that names nothing of the message.
 *
 * <p>Not thread-safe: both pumps run on the client connection's event loop.
 */
final class RelayedSession {
  static final String POLICY_REASON = "policy violation";
  static final String TOO_BIG_REASON = "message too big";

  private final WebSocketWriter toClient;
  private final WebSocketWriter toUpstream;
  private final @Nullable WebSocketInspection inspection;
  private final Pump upward;
  private final Pump downward;
  /** Set once a refusal closed both sides: frames still arriving are dropped. */
  private boolean refused;

  RelayedSession(WebSocketWriter toClient, WebSocketWriter toUpstream,
      @Nullable WebSocketInspection inspection) {
    this.toClient = toClient;
    this.toUpstream = toUpstream;
    this.inspection = inspection;
    this.upward = new Pump(Direction.REQUEST, toUpstream);
    this.downward = new Pump(Direction.RESPONSE, toClient);
  }

  /** Returns the subscriber for the frames that travel in {@code direction}. */
  Subscriber<WebSocketFrame> pump(Direction direction) {
    return direction == Direction.REQUEST ? upward : downward;
  }

  private void refuse(boolean tooBig) {
    if (refused) {
      return;
    }
    refused = true;
    upward.cancelMessage();
    downward.cancelMessage();
    WebSocketCloseStatus status = tooBig
        ? WebSocketCloseStatus.MESSAGE_TOO_BIG : WebSocketCloseStatus.POLICY_VIOLATION;
    String reason = tooBig ? TOO_BIG_REASON : POLICY_REASON;
    toUpstream.close(status, reason);
    toClient.close(status, reason);
  }

  /** Carries the frames of one direction. */
  private final class Pump implements Subscriber<WebSocketFrame> {
    private final Direction direction;
    private final WebSocketWriter out;
    private @Nullable Subscription subscription;
    private WebSocketInspection.@Nullable Message message;
    /** Whether the current message is text (else binary), and whether a fragment of it went out. */
    private boolean text;
    private boolean sentSome;
    private boolean inMessage;

    Pump(Direction direction, WebSocketWriter out) {
      this.direction = direction;
      this.out = out;
    }

    @Override
    public void onSubscribe(Subscription s) {
      subscription = s;
      s.request(1);
    }

    @Override
    public void onNext(WebSocketFrame frame) {
      boolean wrote;
      try {
        wrote = !refused && relay(frame);
      } finally {
        frame.close();
      }
      if (wrote && out.isOpen()) {
        out.whenConsumed().thenRun(this::next);
      } else {
        next();
      }
    }

    private void next() {
      Subscription s = subscription;
      if (s != null) {
        s.request(1);
      }
    }

    /** Relays one frame; returns whether something was written to the other side. */
    private boolean relay(WebSocketFrame frame) {
      WebSocketFrameType type = frame.type();
      switch (type) {
        case TEXT:
        case BINARY:
          inMessage = true;
          text = type == WebSocketFrameType.TEXT;
          sentSome = false;
          byte[] first = frame.array();
          message = inspection == null ? null : inspection.message(direction, text, first);
          return fragment(first, frame.isFinalFragment());
        case CONTINUATION:
          return fragment(frame.array(), frame.isFinalFragment());
        case PING:
          return out.tryWrite(WebSocketFrame.ofPing(frame.array()));
        case PONG:
          return out.tryWrite(WebSocketFrame.ofPong(frame.array()));
        case CLOSE:
          close(((CloseWebSocketFrame) frame).status());
          return false;
        default:
          return false;
      }
    }

    /** Handles one fragment of the current message. */
    private boolean fragment(byte[] payload, boolean last) {
      if (!inMessage) {
        return false; // The decoder refuses a continuation outside a message.
      }
      WebSocketInspection.Message m = message;
      if (m == null) {
        send(payload, last);
        return true;
      }
      List<byte[]> released = new ArrayList<>(2);
      boolean ok = m.fragment(payload, released);
      if (ok && last) {
        ok = m.end(released);
      }
      if (!ok) {
        message = null;
        inMessage = false;
        m.refused(sentSome);
        refuse(m.tooBig());
        return false;
      }
      if (last) {
        message = null;
        inMessage = false;
      }
      if (released.isEmpty() && !last) {
        return false;
      }
      send(concat(released), last);
      return true;
    }

    private void send(byte[] payload, boolean last) {
      WebSocketFrame f;
      if (sentSome) {
        f = WebSocketFrame.ofContinuation(payload, last);
      } else {
        f = text ? WebSocketFrame.ofText(payload, last) : WebSocketFrame.ofBinary(payload, last);
      }
      sentSome = true;
      if (last) {
        inMessage = false;
      }
      out.tryWrite(f);
    }

    private void close(WebSocketCloseStatus status) {
      cancelMessage();
      if (!out.isOpen()) {
        return;
      }
      int code = status.code();
      if (code == WebSocketCloseStatus.EMPTY.code()
          || code == WebSocketCloseStatus.ABNORMAL_CLOSURE.code()
          || code == WebSocketCloseStatus.TLS_HANDSHAKE_FAILED.code()) {
        out.close();
      } else {
        out.close(status, "");
      }
    }

    void cancelMessage() {
      WebSocketInspection.Message m = message;
      message = null;
      inMessage = false;
      if (m != null) {
        m.cancel();
      }
    }

    @Override
    public void onError(Throwable cause) {
      cancelMessage();
      if (out.isOpen()) {
        // The peer this pump reads from is gone: the other side is told so, without detail.
        out.close(direction == Direction.REQUEST ? WebSocketCloseStatus.ENDPOINT_UNAVAILABLE
            : WebSocketCloseStatus.BAD_GATEWAY, "");
      }
    }

    @Override
    public void onComplete() {
      cancelMessage();
      if (out.isOpen()) {
        out.close();
      }
    }
  }

  private static byte[] concat(List<byte[]> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] all = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, all, at, p.length);
      at += p.length;
    }
    return all;
  }
}
