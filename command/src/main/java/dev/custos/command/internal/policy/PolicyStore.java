package dev.custos.command.internal.policy;

import static java.util.Objects.requireNonNull;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import dev.custos.command.internal.store.Transactions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Stores the versions and rollouts of one kind of document (policies, or proxy configurations)
 * in the command plane's database (migration V3), and answers which version each proxy should
 * run. Portable SQL (SQLite and PostgreSQL). A new
 * version or rollout takes the next number in a transaction; two replicas racing for the same
 * number make one of them retry. Thread-safe; every method blocks on JDBC.
 */
public final class PolicyStore {
  private static final String ROLLOUT_COLUMNS = "id, kind, name, version, enforce, proxies,"
      + " state, created_ms, created_by, updated_ms, updated_by, shadow_until_ms";

  private final DataSource db;
  private final DocumentKind kind;

  /** Returns the policies' store over the plane's (migrated) database. */
  public PolicyStore(DataSource db) {
    this(db, DocumentKind.POLICY);
  }

  /** Returns the store of one kind of document over the plane's (migrated) database. */
  public PolicyStore(DataSource db, DocumentKind kind) {
    this.db = requireNonNull(db, "db");
    this.kind = requireNonNull(kind, "kind");
  }

  /** Returns the database. */
  DataSource dataSource() {
    return db;
  }

  /** Returns the kind of document this store keeps. */
  public DocumentKind kind() {
    return kind;
  }

  /** A policy's latest version and how many versions it has. */
  public record Summary(PolicyVersion latest, int versions) {}

  /**
   * A proxy the plane has heard from, the policy it should run and the configuration it should
   * run (labels; null where no rollout covers it).
   */
  public record ProxyRow(String proxyId, String tokenName, String configVersion,
      long lastSeenMillis, @Nullable String policy, @Nullable String config) {}

  /** What a shadow rollout's proxies would have blocked: events, and events per rule. */
  public record WouldHaveBlocked(long events, Map<String, Long> byRule) {}

  /** The rollout a proxy follows and the version it runs. */
  public record Assignment(Rollout rollout, PolicyVersion version) {}

  /**
   * Stores a new version of a policy (validated by the caller), with its diff against the
   * previous version.
   *
   * @throws RequestProblem (409) when the body equals the latest version's
   * @throws SQLException if the database fails
   */
  public PolicyVersion addVersion(String name, String body, String comment, String author,
      long nowMillis) throws SQLException {
    requireNonNull(name, "name");
    requireNonNull(body, "body");
    requireNonNull(comment, "comment");
    requireNonNull(author, "author");
    String sha = sha256(body);
    return retrying(c -> {
      PolicyVersion previous = latest(c, name);
      if (previous != null && previous.sha256().equals(sha)) {
        throw RequestProblem.conflict("body: the same as version " + previous.version()
            + " of " + name + " (expected: a changed " + kind.field() + ")");
      }
      int version = previous == null ? 1 : previous.version() + 1;
      String diff = previous == null ? "" : diff(name, previous, version, body);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO document_versions (kind,"
          + " name, version, author, created_ms, comment, sha256, body, diff) VALUES"
          + " (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ps.setString(1, kind.id());
        ps.setString(2, name);
        ps.setInt(3, version);
        ps.setString(4, author);
        ps.setLong(5, nowMillis);
        ps.setString(6, comment);
        ps.setString(7, sha);
        ps.setString(8, body);
        ps.setString(9, diff);
        ps.executeUpdate();
      }
      return new PolicyVersion(name, version, author, nowMillis, comment, sha, body, diff);
    });
  }

  /** Returns the unified diff (3 lines of context) from one version's body to the next's. */
  static String diff(String name, PolicyVersion previous, int version, String body) {
    List<String> from = lines(previous.body());
    List<String> to = lines(body);
    Patch<String> patch = DiffUtils.diff(from, to);
    List<String> out = UnifiedDiffUtils.generateUnifiedDiff(name + "@" + previous.version(),
        name + "@" + version, from, patch, 3);
    return out.isEmpty() ? "" : String.join("\n", out) + "\n";
  }

  private static List<String> lines(String text) {
    return text.isEmpty() ? List.of() : Arrays.asList(text.split("\r?\n"));
  }

  /** Returns the SHA-256 of the UTF-8 text, lower-case hex. */
  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Returns every document's latest version, by name. */
  public List<Summary> policies() throws SQLException {
    List<Summary> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT v.name, v.version, v.author,"
            + " v.created_ms, v.comment, v.sha256, v.body, v.diff, n.versions FROM"
            + " document_versions v JOIN (SELECT name, MAX(version) AS latest, COUNT(*) AS"
            + " versions FROM document_versions WHERE kind = ? GROUP BY name) n ON v.name ="
            + " n.name AND v.version = n.latest WHERE v.kind = ? ORDER BY v.name")) {
      ps.setString(1, kind.id());
      ps.setString(2, kind.id());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Summary(version(rs), rs.getInt(9)));
        }
      }
    }
    return out;
  }

  /** Returns a document's versions, newest first; empty for an unknown name. */
  public List<PolicyVersion> versions(String name) throws SQLException {
    List<PolicyVersion> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT name, version, author, created_ms,"
            + " comment, sha256, body, diff FROM document_versions WHERE kind = ? AND name = ?"
            + " ORDER BY version DESC")) {
      ps.setString(1, kind.id());
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(version(rs));
        }
      }
    }
    return out;
  }

  /** Returns one version of a document. */
  public Optional<PolicyVersion> version(String name, int version) throws SQLException {
    try (Connection c = db.getConnection()) {
      return Optional.ofNullable(version(c, name, version));
    }
  }

  private @Nullable PolicyVersion version(Connection c, String name, int version)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT name, version, author, created_ms,"
        + " comment, sha256, body, diff FROM document_versions WHERE kind = ? AND name = ? AND"
        + " version = ?")) {
      ps.setString(1, kind.id());
      ps.setString(2, name);
      ps.setInt(3, version);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? version(rs) : null;
      }
    }
  }

  private @Nullable PolicyVersion latest(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT name, version, author, created_ms,"
        + " comment, sha256, body, diff FROM document_versions WHERE kind = ? AND name = ?"
        + " ORDER BY version DESC LIMIT 1")) {
      ps.setString(1, kind.id());
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? version(rs) : null;
      }
    }
  }

  private static PolicyVersion version(ResultSet rs) throws SQLException {
    return new PolicyVersion(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getLong(4),
        rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8));
  }

  /**
   * Starts a rollout of a stored version.
   *
   * @param proxies proxy ids, or {@code ["*"]}; checked by the caller
   * @param enforce false for shadow mode (policies only; a configuration is always enforced)
   * @throws RequestProblem (404) for an unknown version
   */
  public Rollout startRollout(String name, int version, List<String> proxies, boolean enforce,
      String author, long nowMillis) throws SQLException {
    requireNonNull(name, "name");
    requireNonNull(author, "author");
    List<String> list = List.copyOf(proxies);
    return retrying(c -> {
      if (version(c, name, version) == null) {
        throw RequestProblem.notFound(kind.field() + " " + name + " version " + version
            + ": not stored (expected: a version of GET /api/v1/" + kind.collection() + "/"
            + name + ")");
      }
      long id;
      try (PreparedStatement ps = c.prepareStatement("SELECT MAX(id) FROM rollouts");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        id = rs.getLong(1) + 1;
      }
      Rollout r = new Rollout(id, kind, name, version, enforce, list,
          enforce ? Rollout.State.ENFORCING : Rollout.State.SHADOW, nowMillis, author, nowMillis,
          author, 0);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO rollouts (id, kind, name,"
          + " version, enforce, proxies, state, created_ms, created_by, updated_ms, updated_by,"
          + " shadow_until_ms, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")) {
        ps.setLong(1, id);
        ps.setString(2, kind.id());
        ps.setString(3, name);
        ps.setInt(4, version);
        ps.setBoolean(5, enforce);
        ps.setString(6, String.join(",", list));
        ps.setString(7, r.state().id());
        ps.setLong(8, nowMillis);
        ps.setString(9, author);
        ps.setLong(10, nowMillis);
        ps.setString(11, author);
        ps.setLong(12, 0);
        ps.executeUpdate();
      }
      return r;
    });
  }

  /**
   * Promotes a rollout: enforce it, and/or widen it to other proxies.
   *
   * @param enforce whether the proxies enforce it from now on (false keeps it as it is)
   * @param proxies the new set of proxies, or null to keep them
   * @throws RequestProblem 404 for an unknown rollout, 409 for an aborted one
   */
  public Rollout promote(long id, boolean enforce, @Nullable List<String> proxies,
      String author, long nowMillis) throws SQLException {
    return retrying(c -> {
      Rollout r = rollout(c, id);
      if (r.state() == Rollout.State.ABORTED) {
        throw RequestProblem.conflict("rollout " + id + ": aborted (expected: a rollout that"
            + " is not aborted; start a new one)");
      }
      boolean e = r.enforce() || enforce;
      List<String> list = proxies == null ? r.proxies() : List.copyOf(proxies);
      long shadowUntil = !r.enforce() && e ? nowMillis : r.shadowUntilMillis();
      update(c, id, e, list, Rollout.State.PROMOTED, author, nowMillis, shadowUntil);
      return new Rollout(id, r.kind(), r.name(), r.version(), e, list, Rollout.State.PROMOTED,
          r.createdMillis(), r.createdBy(), nowMillis, author, shadowUntil);
    });
  }

  /**
   * Aborts a rollout: its proxies go back to the newest older rollout that covers them, or to
   * their local policy.
   *
   * @throws RequestProblem 404 for an unknown rollout, 409 for an aborted one
   */
  public Rollout abort(long id, String author, long nowMillis) throws SQLException {
    return retrying(c -> {
      Rollout r = rollout(c, id);
      if (r.state() == Rollout.State.ABORTED) {
        throw RequestProblem.conflict("rollout " + id + ": already aborted (expected: a"
            + " rollout that is not aborted)");
      }
      long shadowUntil = r.enforce() ? r.shadowUntilMillis() : nowMillis;
      update(c, id, r.enforce(), r.proxies(), Rollout.State.ABORTED, author, nowMillis,
          shadowUntil);
      return new Rollout(id, r.kind(), r.name(), r.version(), r.enforce(), r.proxies(),
          Rollout.State.ABORTED, r.createdMillis(), r.createdBy(), nowMillis, author,
          shadowUntil);
    });
  }

  private static void update(Connection c, long id, boolean enforce, List<String> proxies,
      Rollout.State state, String author, long now, long shadowUntil) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE rollouts SET enforce = ?, proxies = ?,"
        + " state = ?, updated_ms = ?, updated_by = ?, shadow_until_ms = ?, revision ="
        + " revision + 1 WHERE id = ?")) {
      ps.setBoolean(1, enforce);
      ps.setString(2, String.join(",", proxies));
      ps.setString(3, state.id());
      ps.setLong(4, now);
      ps.setString(5, author);
      ps.setLong(6, shadowUntil);
      ps.setLong(7, id);
      ps.executeUpdate();
    }
  }

  private static Rollout rollout(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + ROLLOUT_COLUMNS
        + " FROM rollouts WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw RequestProblem.notFound("rollout " + id + ": not found (expected: an id of GET"
              + " /api/v1/rollouts)");
        }
        return rollout(rs);
      }
    }
  }

  private static Rollout rollout(ResultSet rs) throws SQLException {
    String proxies = rs.getString(6);
    return new Rollout(rs.getLong(1), DocumentKind.of(rs.getString(2)), rs.getString(3),
        rs.getInt(4), rs.getBoolean(5),
        proxies.isEmpty() ? List.of() : List.of(proxies.split(",")),
        Rollout.State.of(rs.getString(7)), rs.getLong(8), rs.getString(9), rs.getLong(10),
        rs.getString(11), rs.getLong(12));
  }

  /** Returns one rollout. */
  public Optional<Rollout> rollout(long id) throws SQLException {
    try (Connection c = db.getConnection()) {
      return Optional.of(rollout(c, id));
    } catch (RequestProblem e) {
      return Optional.empty();
    }
  }

  /** Returns the newest rollouts first, of every kind, at most {@code limit}. */
  public List<Rollout> rollouts(int limit) throws SQLException {
    List<Rollout> out = new ArrayList<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT " + ROLLOUT_COLUMNS
            + " FROM rollouts ORDER BY id DESC LIMIT ?")) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rollout(rs));
        }
      }
    }
    return out;
  }

  /**
   * Returns what a proxy should run: the newest rollout of this kind that is not aborted and
   * covers it, with its version; empty when none does (the proxy runs its local document).
   */
  public Optional<Assignment> assignment(String proxyId) throws SQLException {
    // Every pull asks: the database picks the one rollout (Rollout.covers on the joined list),
    // rather than every live rollout being read and matched here.
    try (Connection c = db.getConnection()) {
      Rollout found = null;
      try (PreparedStatement ps = c.prepareStatement("SELECT " + ROLLOUT_COLUMNS
          + " FROM rollouts WHERE kind = ? AND state <> ? AND (',' || proxies || ','"
          + " LIKE '%,*,%' OR ',' || proxies || ',' LIKE ? ESCAPE '!') ORDER BY id DESC"
          + " LIMIT 1")) {
        ps.setString(1, kind.id());
        ps.setString(2, Rollout.State.ABORTED.id());
        ps.setString(3, "%," + likeLiteral(proxyId) + ",%");
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            found = rollout(rs);
          }
        }
      }
      if (found == null) {
        return Optional.empty();
      }
      PolicyVersion v = version(c, found.name(), found.version());
      return v == null ? Optional.empty() : Optional.of(new Assignment(found, v));
    }
  }

  /** Returns the text matched literally by a LIKE pattern with {@code ESCAPE '!'}. */
  static String likeLiteral(String text) {
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
  }

  /**
   * Returns a number that grows whenever any rollout starts or changes, so that a replica
   * notices what another one did: the sum of the rollouts' revisions (a new rollout adds its
   * revision 1, every change adds one; rollouts are never deleted).
   */
  public long rolloutsRevision() throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT COALESCE(SUM(revision), 0) FROM"
            + " rollouts");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Records that a proxy pulled its policy or configuration, with the token it used and the
   * version it runs (the same row ingestion keeps up to date).
   */
  public void reportPull(String proxyId, String tokenName, String runningVersion,
      long nowMillis) throws SQLException {
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO proxies (proxy_id, token_name,"
            + " config_version, first_seen_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?)"
            + " ON CONFLICT (proxy_id) DO UPDATE SET token_name = excluded.token_name,"
            + " config_version = excluded.config_version, last_seen_ms = CASE WHEN"
            + " excluded.last_seen_ms > proxies.last_seen_ms THEN excluded.last_seen_ms ELSE"
            + " proxies.last_seen_ms END")) {
      ps.setString(1, proxyId);
      ps.setString(2, tokenName);
      ps.setString(3, runningVersion);
      ps.setLong(4, nowMillis);
      ps.setLong(5, nowMillis);
      ps.executeUpdate();
    }
  }

  /**
   * Returns the proxies the plane has heard from, by id, each with the policy and the
   * configuration it should run.
   */
  public List<ProxyRow> proxies() throws SQLException {
    List<Rollout> live = new ArrayList<>();
    List<ProxyRow> out = new ArrayList<>();
    try (Connection c = db.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT " + ROLLOUT_COLUMNS
          + " FROM rollouts WHERE state <> ? ORDER BY id DESC")) {
        ps.setString(1, Rollout.State.ABORTED.id());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            live.add(rollout(rs));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT proxy_id, token_name,"
          + " config_version, last_seen_ms FROM proxies ORDER BY proxy_id");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String id = rs.getString(1);
          String policy = live.stream().filter(r -> r.kind() == DocumentKind.POLICY
              && r.covers(id)).findFirst().map(Rollout::runningLabel).orElse(null);
          String config = live.stream().filter(r -> r.kind() == DocumentKind.PROXY_CONFIG
              && r.covers(id)).findFirst().map(Rollout::runningLabel).orElse(null);
          out.add(new ProxyRow(id, rs.getString(2), rs.getString(3), rs.getLong(4), policy,
              config));
        }
      }
    }
    return out;
  }

  /** Returns the version each proxy a rollout covers reported last, by proxy id. */
  public Map<String, String> runningVersions(Rollout r) throws SQLException {
    return runningVersions(r, proxyVersions());
  }

  /**
   * Returns the version each proxy a rollout covers reported last, by proxy id, out of every
   * proxy's ({@link #proxyVersions()}, read once for many rollouts).
   */
  static Map<String, String> runningVersions(Rollout r, Map<String, String> proxyVersions) {
    Map<String, String> out = new TreeMap<>();
    proxyVersions.forEach((id, version) -> {
      if (r.covers(id)) {
        out.put(id, version);
      }
    });
    return out;
  }

  /** Returns the version every proxy the plane has heard from reported last, by proxy id. */
  public Map<String, String> proxyVersions() throws SQLException {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = db.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT proxy_id, config_version FROM"
            + " proxies");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2));
      }
    }
    return out;
  }

  /**
   * Returns what a rollout's proxies would have blocked while it was in shadow mode: the stored
   * events with {@code shadow} and {@code blocked_by} set whose batch declared the rollout's
   * shadow version ({@code name@N+shadow}, alone or after a pulled configuration's {@code
   * config@M/}), from its start until it was promoted to enforce or aborted, counted by rule.
   * Empty for a rollout started enforcing. Reads raw events, so it covers what retention keeps.
   */
  public WouldHaveBlocked wouldHaveBlocked(Rollout r) throws SQLException {
    return wouldHaveBlocked(List.of(r)).get(r.id());
  }

  /**
   * Returns {@link #wouldHaveBlocked(Rollout)} of each rollout, by id, with one query (one
   * {@code UNION ALL} branch per policy rollout that was ever in shadow mode).
   */
  public Map<Long, WouldHaveBlocked> wouldHaveBlocked(List<Rollout> rollouts)
      throws SQLException {
    Map<Long, Map<String, Long>> byRollout = new LinkedHashMap<>();
    List<Rollout> shadowed = new ArrayList<>();
    StringBuilder sql = new StringBuilder();
    for (Rollout r : rollouts) {
      byRollout.put(r.id(), new LinkedHashMap<>());
      if (r.kind() != DocumentKind.POLICY || r.enforce() && r.shadowUntilMillis() == 0) {
        continue;
      }
      shadowed.add(r);
      sql.append(sql.length() == 0 ? "" : " UNION ALL ")
          .append("SELECT CAST(? AS BIGINT) AS rollout_id, blocked_by, COUNT(*) AS n FROM events"
              + " WHERE time_ms >= ? AND shadow = ? AND blocked_by IS NOT NULL AND"
              + " (config_version = ? OR config_version LIKE ? ESCAPE '!')");
      if (r.shadowUntilMillis() > 0) {
        sql.append(" AND time_ms < ?");
      }
      sql.append(" GROUP BY blocked_by");
    }
    if (!shadowed.isEmpty()) {
      try (Connection c = db.getConnection();
          PreparedStatement ps = c.prepareStatement("SELECT rollout_id, blocked_by, n FROM ("
              + sql + ") w ORDER BY rollout_id, n DESC, blocked_by")) {
        int i = 1;
        for (Rollout r : shadowed) {
          String label = r.name() + "@" + r.version() + "+shadow";
          ps.setLong(i++, r.id());
          ps.setLong(i++, r.createdMillis());
          ps.setBoolean(i++, true);
          ps.setString(i++, label);
          ps.setString(i++, "%/" + likeLiteral(label));
          if (r.shadowUntilMillis() > 0) {
            ps.setLong(i++, r.shadowUntilMillis());
          }
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            byRollout.get(rs.getLong(1)).put(rs.getString(2), rs.getLong(3));
          }
        }
      }
    }
    Map<Long, WouldHaveBlocked> out = new LinkedHashMap<>();
    byRollout.forEach((id, byRule) -> out.put(id, new WouldHaveBlocked(
        byRule.values().stream().mapToLong(Long::longValue).sum(), byRule)));
    return out;
  }

  /**
   * Runs work in a transaction, again when another writer took the same number first (a
   * unique violation), a deadlock or a busy database.
   */
  private <T> T retrying(Transactions.Work<T> work) throws SQLException {
    return Transactions.run(db, e -> Transactions.contention(e)
        || Transactions.uniqueViolation(e), work);
  }
}
