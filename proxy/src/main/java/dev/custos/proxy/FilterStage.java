package dev.custos.proxy;

/**
 * Where a decorator sits in the proxy's filter chain. A request passes routing first, then the
 * stages in declaration order (authentication outermost), then the forwarding service; the
 * response passes them in reverse. Several decorators at one stage apply in the order added, the
 * first outermost.
 */
public enum FilterStage {
  /**
   * Establishes who is calling (mTLS principal, JWT, API key). The proxy's own {@link
   * AuthenticationService} runs here first, for routes with an {@code authn} requirement.
   */
  AUTHN,
  /**
   * Decides whether the caller may make this request. The proxy's own {@link
   * AuthorizationService} runs here first, for routes with an {@code authz} block.
   */
  AUTHZ,
  /**
   * Rate limits, budgets and circuit breaking. The proxy's own limits run here first: the
   * route's body size limit, its token buckets and the caller's usage plan, then replay
   * protection (see {@link RateLimitStore}).
   */
  LIMITS,
  /** Data inspection of request and response bodies: observe, redact, block. */
  INSPECTION,
  /** Custom filters run as sandboxed WebAssembly. */
  WASM
}
