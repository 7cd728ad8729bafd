package dev.custos.proxy.internal;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpObject;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.StreamTimeoutException;
import com.linecorp.armeria.common.stream.StreamMessage;
import com.linecorp.armeria.common.stream.SubscriptionOption;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A request body that fails with a {@link StreamTimeoutException} when its sender stays silent for
 * {@code request_body_idle_timeout} while the proxy is asking for more: the clock runs only while
 * the body's reader has requested an element it has not received yet. A reader that stops asking
 * (the upstream applies backpressure and does not read) stops the clock; it starts again, from
 * zero, with the next request.
 *
 * <p>Unlike Armeria's {@code StreamMessage.timeout(d, UNTIL_NEXT)}, which counts from the last
 * element whatever the demand, a slow upstream never makes a sender that keeps up look idle.
 * Memory: one scheduled task per request at most.
 */
final class BodyIdleTimeout implements StreamMessage<HttpObject> {
  private static final String MESSAGE = "request body sent nothing for %d ms while asked for more"
      + " (request_body_idle_timeout)";

  private final StreamMessage<? extends HttpObject> body;
  private final long timeoutNanos;
  private final LongSupplier nanoTime;

  private BodyIdleTimeout(StreamMessage<? extends HttpObject> body, Duration timeout,
      LongSupplier nanoTime) {
    this.body = body;
    this.timeoutNanos = timeout.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * Returns {@code req} with its body failing after {@code timeout} of silence while read; {@code
   * req} itself when the timeout is zero or the request has no body.
   */
  static HttpRequest wrap(HttpRequest req, Duration timeout) {
    requireNonNull(req, "req");
    requireNonNull(timeout, "timeout");
    if (timeout.isZero() || timeout.isNegative() || req.isEmpty()) {
      return req;
    }
    return HttpRequest.of(req.headers(), new BodyIdleTimeout(req, timeout, System::nanoTime));
  }

  @Override
  public boolean isOpen() {
    return body.isOpen();
  }

  @Override
  public boolean isEmpty() {
    return body.isEmpty();
  }

  @Override
  public long demand() {
    return body.demand();
  }

  @Override
  public CompletableFuture<Void> whenComplete() {
    return body.whenComplete();
  }

  @Override
  public void subscribe(Subscriber<? super HttpObject> subscriber, EventExecutor executor,
      SubscriptionOption... options) {
    requireNonNull(subscriber, "subscriber");
    requireNonNull(executor, "executor");
    body.subscribe(new Watch(subscriber, executor), executor, options);
  }

  @Override
  public void abort() {
    body.abort();
  }

  @Override
  public void abort(Throwable cause) {
    body.abort(cause);
  }

  /**
   * Sits between the body and its reader, counting outstanding demand. Its state is confined to
   * the subscriber's executor (elements arrive there; a request from elsewhere hops there).
   */
  private final class Watch implements Subscriber<HttpObject>, Subscription, Runnable {
    private final Subscriber<? super HttpObject> reader;
    private final EventExecutor executor;
    private @Nullable Subscription subscription;
    /** Elements requested and not delivered yet (saturates at {@code Long.MAX_VALUE}). */
    private long outstanding;
    /** Since when the reader has been waiting without receiving anything. */
    private long waitingSince;
    private @Nullable ScheduledFuture<?> timer;
    private boolean done;
    private boolean timedOut;

    Watch(Subscriber<? super HttpObject> reader, EventExecutor executor) {
      this.reader = reader;
      this.executor = executor;
    }

    @Override
    public void onSubscribe(Subscription s) {
      subscription = s;
      reader.onSubscribe(this);
    }

    @Override
    public void onNext(HttpObject obj) {
      if (timedOut) {
        if (obj instanceof HttpData data) {
          data.close();
        }
        return;
      }
      if (outstanding != Long.MAX_VALUE && outstanding > 0) {
        outstanding--;
      }
      // The timer stays scheduled: when it fires it checks the demand and the time waited then,
      // which spares a schedule and a cancel per element.
      waitingSince = nanoTime.getAsLong();
      reader.onNext(obj);
    }

    @Override
    public void onError(Throwable t) {
      if (timedOut) {
        return;
      }
      finish();
      reader.onError(t);
    }

    @Override
    public void onComplete() {
      if (timedOut) {
        return;
      }
      finish();
      reader.onComplete();
    }

    @Override
    public void request(long n) {
      Subscription s = requireNonNull(subscription, "subscription");
      if (executor.inEventLoop()) {
        asked(n);
        s.request(n);
      } else {
        // Counted before the body can answer, on the thread its elements arrive on.
        executor.execute(() -> {
          asked(n);
          s.request(n);
        });
      }
    }

    @Override
    public void cancel() {
      if (executor.inEventLoop()) {
        finish();
      } else {
        executor.execute(this::finish);
      }
      requireNonNull(subscription, "subscription").cancel();
    }

    private void asked(long n) {
      if (done || n <= 0) {
        return;
      }
      if (outstanding == 0) {
        waitingSince = nanoTime.getAsLong();
      }
      outstanding = Long.MAX_VALUE - outstanding <= n ? Long.MAX_VALUE : outstanding + n;
      if (timer == null) {
        timer = executor.schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
      }
    }

    /** Fires when the timer ends: fails the body if the reader has waited the whole timeout. */
    @Override
    public void run() {
      timer = null;
      if (done || outstanding == 0) {
        return;
      }
      long waited = nanoTime.getAsLong() - waitingSince;
      if (waited < timeoutNanos) {
        timer = executor.schedule(this, timeoutNanos - waited, TimeUnit.NANOSECONDS);
        return;
      }
      done = true;
      timedOut = true;
      StreamTimeoutException e = new StreamTimeoutException(
          String.format(MESSAGE, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
      reader.onError(e);
      body.abort(e);
    }

    private void disarm() {
      ScheduledFuture<?> t = timer;
      if (t != null) {
        timer = null;
        t.cancel(false);
      }
    }

    private void finish() {
      done = true;
      disarm();
    }
  }
}
