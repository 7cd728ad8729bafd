package dev.custos.command.internal.policy;

import com.linecorp.armeria.common.HttpStatus;

/**
 * A request the policy store refuses: an unknown policy, version or rollout (404), or a change
 * that conflicts with the stored state (409). The message says what was wrong and what was
 * expected; it holds names and numbers only.
 */
final class RequestProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient HttpStatus status;

  RequestProblem(HttpStatus status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  HttpStatus status() {
    return status;
  }

  static RequestProblem notFound(String message) {
    return new RequestProblem(HttpStatus.NOT_FOUND, message);
  }

  static RequestProblem conflict(String message) {
    return new RequestProblem(HttpStatus.CONFLICT, message);
  }
}
