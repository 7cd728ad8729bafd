package dev.custos.proxy.internal;

/**
 * What {@link ConfigReader} does with the resources a configuration names outside its text: the
 * files it points at (policy, TLS certificates and keys, JWK sets, secrets, API key lists...) and
 * the environment variables it names (admin token, HMAC secret, API keys).
 */
enum ExternalResources {
  /** Reads and checks them: what a proxy does with the configuration it runs. */
  READ,
  /**
   * Checks only the references (a file path is a path to a file, an environment variable name is
   * a valid name) and opens nothing: what the command plane does with a configuration it
   * distributes to proxies whose disks and environment it cannot see. Each proxy checks the rest
   * when it pulls the configuration.
   */
  DEFER;

  /** Returns whether files and environment variables are read. */
  boolean reads() {
    return this == READ;
  }
}
