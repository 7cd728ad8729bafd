package dev.custos.proxy.internal.upstream;

import com.linecorp.armeria.client.circuitbreaker.CircuitBreaker;
import com.linecorp.armeria.client.circuitbreaker.CircuitState;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Armeria's circuit breaker, which opens on a failure rate, plus a trip on {@code threshold}
 * failures in a row (Armeria 1.40 has no such setting): the count resets on every success, and
 * reaching it while closed forces the breaker open, after which Armeria's half-open trials apply
 * unchanged. Thread-safe.
 */
final class ConsecutiveFailureBreaker implements CircuitBreaker {
  private final CircuitBreaker delegate;
  private final int threshold;
  private final AtomicInteger consecutive = new AtomicInteger();

  ConsecutiveFailureBreaker(CircuitBreaker delegate, int threshold) {
    this.delegate = delegate;
    this.threshold = threshold;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public void onSuccess() {
    consecutive.set(0);
    delegate.onSuccess();
  }

  @Override
  public void onFailure() {
    delegate.onFailure();
    if (consecutive.incrementAndGet() >= threshold) {
      consecutive.set(0);
      if (delegate.circuitState() == CircuitState.CLOSED) {
        delegate.enterState(CircuitState.OPEN);
      }
    }
  }

  @Override
  @Deprecated
  @SuppressWarnings("deprecation")
  public boolean canRequest() {
    return delegate.canRequest();
  }

  @Override
  public boolean tryRequest() {
    return delegate.tryRequest();
  }

  @Override
  public CircuitState circuitState() {
    return delegate.circuitState();
  }

  @Override
  public void enterState(CircuitState state) {
    delegate.enterState(state);
  }
}
