package dev.custos.command.internal.policy;

import static java.util.Objects.requireNonNull;

/**
 * One stored version of a policy.
 *
 * @param name the policy's name
 * @param version 1 for the first version of the name, then one more each time
 * @param author who stored it (an API caller's name)
 * @param createdMillis when, epoch milliseconds
 * @param comment what the author said about it, possibly empty
 * @param sha256 the body's SHA-256, 64 lower-case hex digits (the proxies' ETag)
 * @param body the policy YAML
 * @param diff the unified diff against the previous version, empty for the first
 */
public record PolicyVersion(String name, int version, String author, long createdMillis,
    String comment, String sha256, String body, String diff) {
  /** Checks the values. */
  public PolicyVersion {
    requireNonNull(name, "name");
    requireNonNull(author, "author");
    requireNonNull(comment, "comment");
    requireNonNull(sha256, "sha256");
    requireNonNull(body, "body");
    requireNonNull(diff, "diff");
  }

  /** Returns the label a proxy reports while it runs this version: {@code name@version}. */
  public String label() {
    return name + "@" + version;
  }

  @Override
  public String toString() {
    return "PolicyVersion{" + label() + ", sha256 " + sha256 + "}";
  }
}
