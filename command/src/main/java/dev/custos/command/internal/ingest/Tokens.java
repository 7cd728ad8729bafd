package dev.custos.command.internal.ingest;

import dev.custos.command.CommandConfig;
import dev.custos.command.internal.config.ConfigReader;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Checks bearer tokens against configured SHA-256 digests in constant time: the presented token
 * is hashed and compared with {@link MessageDigest#isEqual} against every digest (no early exit),
 * so the time taken tells nothing about which digest nearly matched. Immutable, thread-safe.
 */
public final class Tokens {
  private final List<String> names;
  private final List<byte[]> digests;

  /** Returns the checker of these tokens. */
  public Tokens(List<CommandConfig.Token> tokens) {
    this.names = tokens.stream().map(CommandConfig.Token::name).toList();
    this.digests = tokens.stream().map(t -> HexFormat.of().parseHex(t.sha256())).toList();
  }

  /**
   * Returns the name of the token an {@code Authorization} header carries, or null when it is
   * missing, not a bearer token, or matches none.
   */
  public @Nullable String check(@Nullable String authorization) {
    if (authorization == null || authorization.length() < 8
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    byte[] given = ConfigReader.sha256(
        authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    String found = null;
    for (int i = 0; i < digests.size(); i++) {
      if (MessageDigest.isEqual(digests.get(i), given) && found == null) {
        found = names.get(i);
      }
    }
    return found;
  }
}
