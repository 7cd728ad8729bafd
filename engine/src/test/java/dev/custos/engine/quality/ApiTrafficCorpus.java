package dev.custos.engine.quality;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custos.engine.ContentType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import net.datafaker.Faker;

/**
 * Generates recorded-looking API traffic that holds no sensitive value besides emails and IP
 * addresses: GitHub-style REST responses (users, repositories with {@code ssh_url}/{@code git_url},
 * commits with signatures and patches, recorded response headers), webhook payloads (push,
 * pull_request, release), an OpenAPI document with examples (JSON and YAML), npm and PyPI package
 * metadata, Kubernetes objects, structured JSON logs and API documentation prose. Everything is
 * written from the shapes those formats publish, with values drawn from a fixed seed, so every run
 * scans the same bytes.
 */
final class ApiTrafficCorpus {
  /** One generated document: its family, bytes and how it is scanned. */
  record Document(String family, byte[] bytes, ContentType type) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
  private static final String[] LANGUAGES = {"Go", "Java", "Python", "TypeScript", "Rust", "C++", "Ruby", null};
  private static final String[] LICENSES = {"mit", "apache-2.0", "bsd-3-clause", "gpl-3.0", "mpl-2.0"};
  private static final String[] LABELS = {"bug", "enhancement", "documentation", "dependencies", "good first issue"};

  private final Random random;
  private final Faker faker;
  private final List<String> logins = new ArrayList<>();
  private long clock = 1_600_000_000L;

  private ApiTrafficCorpus(long seed) {
    this.random = new Random(seed);
    this.faker = new Faker(Locale.US, new Random(seed + 1));
    for (int i = 0; i < 60; i++) {
      logins.add(login());
    }
  }

  /** Returns documents of every family, round-robin, until they hold at least {@code minBytes}. */
  static List<Document> generate(long seed, int minBytes) {
    ApiTrafficCorpus g = new ApiTrafficCorpus(seed);
    List<Document> out = new ArrayList<>();
    long total = 0;
    for (int round = 0; total < minBytes; round++) {
      List<Document> batch = List.of(
          g.json("github users", g.user(true)),
          g.json("github repos", g.repoList(3)),
          g.json("github commits", g.commit()),
          g.json("github recorded exchange", g.recordedExchange()),
          g.json("webhook push", g.pushEvent()),
          g.json("webhook pull_request", g.pullRequestEvent()),
          g.json("webhook release", g.releaseEvent()),
          g.json("npm metadata", g.npmPackage()),
          g.json("pypi metadata", g.pypiPackage()),
          g.json("kubernetes objects", g.pod()),
          g.jsonLines("json logs", 40),
          round % 4 == 0 ? g.json("openapi", g.openApi()) : g.text("api docs", g.apiDocs()),
          round % 4 == 2 ? g.text("openapi yaml", g.openApiYaml()) : g.json("github issues", g.issue()),
          g.json("github contents and trees", round % 2 == 0 ? g.contents() : g.tree()),
          g.json("github actions", g.workflowRun()),
          g.json("github keys and hooks", g.keysAndHooks()),
          g.json("commerce and messaging", g.commerceAndMessaging()));
      for (Document d : batch) {
        out.add(d);
        total += d.bytes().length;
      }
    }
    return out;
  }

  private Document json(String family, Object node) {
    try {
      String s = random.nextBoolean()
          ? JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node)
          : JSON.writeValueAsString(node);
      return new Document(family, s.getBytes(StandardCharsets.UTF_8), ContentType.JSON);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private Document text(String family, String text) {
    return new Document(family, text.getBytes(StandardCharsets.UTF_8), ContentType.TEXT);
  }

  private Document jsonLines(String family, int lines) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < lines; i++) {
      try {
        sb.append(JSON.writeValueAsString(logLine())).append('\n');
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    return new Document(family, sb.toString().getBytes(StandardCharsets.UTF_8), ContentType.TEXT);
  }

  // --- value shapes ---------------------------------------------------------------------------

  private String login() {
    String base = faker.internet().username().replace('.', '-').replace('_', '-');
    return random.nextInt(4) == 0 ? base + random.nextInt(2000) : base;
  }

  private String someLogin() {
    return logins.get(random.nextInt(logins.size()));
  }

  private String hex(int digits) {
    byte[] b = new byte[(digits + 1) / 2];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b).substring(0, digits);
  }

  private String base64(int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  private String uuid() {
    String h = hex(32);
    return h.substring(0, 8) + "-" + h.substring(8, 12) + "-4" + h.substring(13, 16) + "-a"
        + h.substring(17, 20) + "-" + h.substring(20);
  }

  /** A node id in GitHub's legacy form: base64 of "NN:Type12345". */
  private String legacyNodeId(String type, long id) {
    String raw = String.format("%02d:%s%d", type.length(), type, id);
    return Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.US_ASCII)).replace("=", "");
  }

  /** A node id in GitHub's newer form: a type prefix, "_kw" and url-safe base64 of a MessagePack body. */
  private String nodeId(String prefix) {
    byte[] b = new byte[random.nextInt(6) + 8];
    random.nextBytes(b);
    return prefix + "_kwDO" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private String version() {
    int kind = random.nextInt(6);
    int major = random.nextInt(kind == 0 ? 30 : 5);
    int minor = random.nextInt(40);
    int patch = random.nextInt(200);
    return switch (kind) {
      case 0 -> major + "." + minor + "." + patch;
      case 1 -> major + "." + minor + "." + patch + "-beta." + random.nextInt(9);
      case 2 -> major + "." + minor + "." + patch + "." + random.nextInt(9999);
      case 3 -> major + "." + minor + "." + patch + "-rc" + random.nextInt(5);
      case 4 -> major + "." + minor;
      default -> "20" + (18 + random.nextInt(8)) + "." + (1 + random.nextInt(12)) + "." + random.nextInt(30);
    };
  }

  private String timestamp() {
    clock += random.nextInt(90_000);
    return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(clock));
  }

  private String zonedTimestamp() {
    clock += random.nextInt(90_000);
    int hours = random.nextInt(25) - 12;
    ZoneOffset zone = ZoneOffset.ofHours(hours);
    return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(Instant.ofEpochSecond(clock).atOffset(zone));
  }

  private long id() {
    return 1_000_000L + (random.nextLong() & 0x3fffffffL);
  }

  // --- GitHub REST ----------------------------------------------------------------------------

  private ObjectNode user(boolean full) {
    String login = someLogin();
    long id = 1000 + random.nextInt(150_000_000);
    String api = "https://api.github.com/users/" + login;
    ObjectNode u = JSON.createObjectNode();
    u.put("login", login).put("id", id)
        .put("node_id", random.nextBoolean() ? legacyNodeId("User", id) : nodeId("U"))
        .put("avatar_url", "https://avatars.githubusercontent.com/u/" + id + "?v=4")
        .put("gravatar_id", random.nextInt(5) == 0 ? hex(32) : "")
        .put("url", api).put("html_url", "https://github.com/" + login)
        .put("followers_url", api + "/followers")
        .put("following_url", api + "/following{/other_user}")
        .put("gists_url", api + "/gists{/gist_id}")
        .put("starred_url", api + "/starred{/owner}{/repo}")
        .put("subscriptions_url", api + "/subscriptions")
        .put("organizations_url", api + "/orgs")
        .put("repos_url", api + "/repos")
        .put("events_url", api + "/events{/privacy}")
        .put("received_events_url", api + "/received_events")
        .put("type", random.nextInt(8) == 0 ? "Organization" : "User")
        .put("user_view_type", "public")
        .put("site_admin", false);
    if (full) {
      u.put("name", faker.name().fullName()).put("company", "@" + faker.company().name().replace(' ', '-'))
          .put("blog", "https://" + login + ".github.io").put("location", faker.address().city())
          .put("email", (String) null).put("hireable", (String) null)
          .put("bio", faker.lorem().sentence()).put("twitter_username", (String) null)
          .put("public_repos", random.nextInt(300)).put("public_gists", random.nextInt(50))
          .put("followers", random.nextInt(20000)).put("following", random.nextInt(500))
          .put("created_at", timestamp()).put("updated_at", timestamp());
    }
    return u;
  }

  private ObjectNode repo(String owner) {
    String name = faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-')
        + (random.nextBoolean() ? "-" + faker.hacker().noun().replace(' ', '-') : "");
    String full = owner + "/" + name;
    long id = 10_000_000L + random.nextInt(800_000_000);
    String api = "https://api.github.com/repos/" + full;
    ObjectNode r = JSON.createObjectNode();
    r.put("id", id).put("node_id", random.nextBoolean() ? legacyNodeId("Repository", id) : nodeId("R"))
        .put("name", name).put("full_name", full).put("private", false);
    ObjectNode o = user(false);
    o.put("login", owner);
    r.set("owner", o);
    r.put("html_url", "https://github.com/" + full).put("description", faker.lorem().sentence())
        .put("fork", random.nextInt(5) == 0).put("url", api)
        .put("forks_url", api + "/forks").put("keys_url", api + "/keys{/key_id}")
        .put("collaborators_url", api + "/collaborators{/collaborator}")
        .put("branches_url", api + "/branches{/branch}").put("tags_url", api + "/tags")
        .put("blobs_url", api + "/git/blobs{/sha}").put("git_tags_url", api + "/git/tags{/sha}")
        .put("git_refs_url", api + "/git/refs{/sha}").put("trees_url", api + "/git/trees{/sha}")
        .put("statuses_url", api + "/statuses/{sha}").put("commits_url", api + "/commits{/sha}")
        .put("compare_url", api + "/compare/{base}...{head}")
        .put("merges_url", api + "/merges").put("archive_url", api + "/{archive_format}{/ref}")
        .put("issues_url", api + "/issues{/number}").put("pulls_url", api + "/pulls{/number}")
        .put("releases_url", api + "/releases{/id}")
        .put("created_at", timestamp()).put("updated_at", timestamp()).put("pushed_at", timestamp())
        .put("git_url", "git://github.com/" + full + ".git")
        .put("ssh_url", "git@github.com:" + full + ".git")
        .put("clone_url", "https://github.com/" + full + ".git")
        .put("svn_url", "https://github.com/" + full)
        .put("homepage", random.nextBoolean() ? "https://" + name + ".dev" : "")
        .put("size", random.nextInt(500_000)).put("stargazers_count", random.nextInt(90_000))
        .put("watchers_count", random.nextInt(90_000)).put("language", LANGUAGES[random.nextInt(LANGUAGES.length)])
        .put("has_issues", true).put("has_projects", random.nextBoolean()).put("has_wiki", random.nextBoolean())
        .put("forks_count", random.nextInt(9000)).put("mirror_url", (String) null).put("archived", false)
        .put("open_issues_count", random.nextInt(900));
    ObjectNode license = JSON.createObjectNode();
    String key = LICENSES[random.nextInt(LICENSES.length)];
    license.put("key", key).put("name", key.toUpperCase(Locale.ROOT) + " License")
        .put("spdx_id", key.toUpperCase(Locale.ROOT)).put("url", "https://api.github.com/licenses/" + key)
        .put("node_id", legacyNodeId("License", random.nextInt(40)));
    r.set("license", license);
    ArrayNode topics = r.putArray("topics");
    for (int i = random.nextInt(4); i > 0; i--) {
      topics.add(faker.hacker().noun().toLowerCase(Locale.ROOT).replace(' ', '-'));
    }
    r.put("visibility", "public").put("default_branch", random.nextBoolean() ? "main" : "master")
        .put("temp_clone_token", "").put("network_count", random.nextInt(9000))
        .put("subscribers_count", random.nextInt(2000));
    return r;
  }

  private ArrayNode repoList(int n) {
    ArrayNode a = JSON.createArrayNode();
    for (int i = 0; i < n; i++) {
      a.add(repo(someLogin()));
    }
    return a;
  }

  private ObjectNode person() {
    ObjectNode p = JSON.createObjectNode();
    String login = someLogin();
    p.put("name", faker.name().fullName())
        .put("email", random.nextBoolean() ? login + "@users.noreply.github.com"
            : faker.internet().emailAddress())
        .put("date", timestamp());
    return p;
  }

  private String signature() {
    StringBuilder sb = new StringBuilder("-----BEGIN PGP SIGNATURE-----\n\n");
    String body = base64(random.nextInt(200) + 280);
    for (int i = 0; i < body.length(); i += 64) {
      sb.append(body, i, Math.min(body.length(), i + 64)).append('\n');
    }
    sb.append('=').append(base64(3)).append("\n-----END PGP SIGNATURE-----\n");
    return sb.toString();
  }

  private String patch() {
    StringBuilder sb = new StringBuilder();
    int line = random.nextInt(300) + 1;
    sb.append("@@ -").append(line).append(",7 +").append(line).append(",7 @@ ")
        .append(faker.hacker().verb()).append("\n");
    for (int i = 0; i < 3; i++) {
      sb.append("   ").append(faker.lorem().sentence()).append('\n');
    }
    String dep = faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    sb.append("-    \"").append(dep).append("\": \"^").append(version()).append("\",\n");
    sb.append("+    \"").append(dep).append("\": \"^").append(version()).append("\",\n");
    sb.append("-version = \"").append(version()).append("\"\n+version = \"").append(version()).append("\"\n");
    sb.append("     return ").append(faker.hacker().noun().replace(' ', '_')).append("(ctx, ")
        .append(random.nextInt(1000)).append(")\n");
    return sb.toString();
  }

  private ObjectNode commit() {
    String owner = someLogin();
    String full = owner + "/" + faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    String sha = hex(40);
    ObjectNode c = JSON.createObjectNode();
    c.put("sha", sha).put("node_id", nodeId("C"));
    ObjectNode inner = c.putObject("commit");
    inner.set("author", person());
    inner.set("committer", person());
    inner.put("message", faker.lorem().sentence() + "\n\nSigned-off-by: " + faker.name().fullName()
        + " <" + faker.internet().emailAddress() + ">");
    inner.putObject("tree").put("sha", hex(40))
        .put("url", "https://api.github.com/repos/" + full + "/git/trees/" + hex(40));
    inner.put("url", "https://api.github.com/repos/" + full + "/git/commits/" + sha)
        .put("comment_count", random.nextInt(5));
    ObjectNode v = inner.putObject("verification");
    boolean signed = random.nextBoolean();
    v.put("verified", signed).put("reason", signed ? "valid" : "unsigned")
        .put("signature", signed ? signature() : null)
        .put("payload", signed ? "tree " + hex(40) + "\nparent " + hex(40) + "\nauthor " + faker.name().fullName()
            + " <" + faker.internet().emailAddress() + "> " + clock + " +0" + random.nextInt(10) + "00\n" : null)
        .put("verified_at", signed ? timestamp() : null);
    c.put("url", "https://api.github.com/repos/" + full + "/commits/" + sha)
        .put("html_url", "https://github.com/" + full + "/commit/" + sha)
        .put("comments_url", "https://api.github.com/repos/" + full + "/commits/" + sha + "/comments");
    c.set("author", user(false));
    c.set("committer", user(false));
    ArrayNode parents = c.putArray("parents");
    String parent = hex(40);
    parents.addObject().put("sha", parent).put("url", "https://api.github.com/repos/" + full + "/commits/" + parent)
        .put("html_url", "https://github.com/" + full + "/commit/" + parent);
    int additions = random.nextInt(400);
    int deletions = random.nextInt(400);
    c.putObject("stats").put("total", additions + deletions).put("additions", additions).put("deletions", deletions);
    ArrayNode files = c.putArray("files");
    for (int i = random.nextInt(3) + 1; i > 0; i--) {
      String file = "src/" + faker.hacker().noun().replace(' ', '_') + "/" + faker.app().name().replace(" ", "") + ".go";
      files.addObject().put("sha", hex(40)).put("filename", file).put("status", "modified")
          .put("additions", random.nextInt(40)).put("deletions", random.nextInt(40)).put("changes", random.nextInt(80))
          .put("blob_url", "https://github.com/" + full + "/blob/" + sha + "/" + file)
          .put("raw_url", "https://github.com/" + full + "/raw/" + sha + "/" + file)
          .put("contents_url", "https://api.github.com/repos/" + full + "/contents/" + file + "?ref=" + sha)
          .put("patch", patch());
    }
    return c;
  }

  private ObjectNode headers() {
    ObjectNode h = JSON.createObjectNode();
    h.put("date", HTTP_DATE.format(Instant.ofEpochSecond(clock)))
        .put("content-type", "application/json; charset=utf-8")
        .put("cache-control", "private, max-age=60, s-maxage=60")
        .put("vary", "Accept, Authorization, Cookie, X-GitHub-OTP,Accept-Encoding, Accept, X-Requested-With")
        .put("etag", "W/\"" + hex(64) + "\"")
        .put("last-modified", HTTP_DATE.format(Instant.ofEpochSecond(clock - 86_400)))
        .put("x-oauth-scopes", "repo, read:org, workflow")
        .put("x-accepted-oauth-scopes", "repo")
        .put("github-authentication-token-expiration", "2024-0" + (random.nextInt(9) + 1) + "-1" + random.nextInt(9) + " 12:00:00 UTC")
        .put("x-github-media-type", "github.v3; format=json")
        .put("x-github-api-version-selected", "2022-11-28")
        .put("x-ratelimit-limit", "5000")
        .put("x-ratelimit-remaining", String.valueOf(random.nextInt(5000)))
        .put("x-ratelimit-reset", String.valueOf(clock + random.nextInt(3600)))
        .put("x-ratelimit-used", String.valueOf(random.nextInt(5000)))
        .put("x-ratelimit-resource", "core")
        .put("access-control-expose-headers", "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit")
        .put("strict-transport-security", "max-age=31536000; includeSubdomains; preload")
        .put("x-frame-options", "deny").put("x-content-type-options", "nosniff")
        .put("x-xss-protection", "0")
        .put("referrer-policy", "origin-when-cross-origin, strict-origin-when-cross-origin")
        .put("content-security-policy", "default-src 'none'")
        .put("x-github-request-id", (hex(4) + ":" + hex(5) + ":" + hex(7) + ":" + hex(7) + ":" + hex(8)).toUpperCase(Locale.ROOT))
        .put("link", "<https://api.github.com/user/repos?page=" + (random.nextInt(9) + 2)
            + "&per_page=100>; rel=\"next\", <https://api.github.com/user/repos?page=" + (random.nextInt(90) + 11)
            + "&per_page=100>; rel=\"last\"");
    return h;
  }

  /** A request/response pair as HTTP recording tools store them, credentials already scrubbed. */
  private ObjectNode recordedExchange() {
    ObjectNode x = JSON.createObjectNode();
    String owner = someLogin();
    ObjectNode req = x.putObject("request");
    req.put("method", "GET").put("url", "https://api.github.com/repos/" + owner + "/app/pulls?state=all&per_page=100&page=" + random.nextInt(20));
    req.putObject("headers").put("accept", "application/vnd.github.v3+json")
        .put("authorization", "token 0000000000000000000000000000000000000001")
        .put("user-agent", "octokit-rest.js/" + version() + " octokit-core.js/" + version()
            + " Node.js/" + (16 + random.nextInt(6)) + "." + random.nextInt(20) + "." + random.nextInt(9));
    ObjectNode res = x.putObject("response");
    res.put("status", 200);
    res.set("headers", headers());
    res.set("body", repoList(1));
    return x;
  }

  private ObjectNode issue() {
    String full = someLogin() + "/" + faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    int number = random.nextInt(40_000) + 1;
    long id = id();
    ObjectNode i = JSON.createObjectNode();
    i.put("url", "https://api.github.com/repos/" + full + "/issues/" + number)
        .put("repository_url", "https://api.github.com/repos/" + full)
        .put("labels_url", "https://api.github.com/repos/" + full + "/issues/" + number + "/labels{/name}")
        .put("html_url", "https://github.com/" + full + "/issues/" + number)
        .put("id", id).put("node_id", random.nextBoolean() ? legacyNodeId("Issue", id) : nodeId("I"))
        .put("number", number).put("title", faker.lorem().sentence());
    i.set("user", user(false));
    ArrayNode labels = i.putArray("labels");
    labels.add(label(full));
    i.put("state", "open").put("locked", false).put("comments", random.nextInt(80))
        .put("created_at", timestamp()).put("updated_at", timestamp()).put("closed_at", (String) null)
        .put("author_association", "CONTRIBUTOR")
        .put("body", "### Steps to reproduce\n\n1. Install version " + version() + " on " + faker.options()
            .option("Ubuntu 22.04", "macOS 14.1", "Windows 11 (build 22631.2715)", "Debian 12.2") + "\n2. "
            + faker.lorem().sentence() + "\n\n### Environment\n\n- node: v" + (16 + random.nextInt(6)) + "."
            + random.nextInt(20) + "." + random.nextInt(9) + "\n- npm: " + version() + "\n- kernel: "
            + (5 + random.nextInt(2)) + "." + random.nextInt(20) + "." + random.nextInt(200) + "-" + random.nextInt(120)
            + "-generic\n- commit: " + hex(7) + "\n\nSee #" + (number - random.nextInt(number)) + " and " + faker.lorem().paragraph());
    i.putObject("reactions").put("url", "https://api.github.com/repos/" + full + "/issues/" + number + "/reactions")
        .put("total_count", random.nextInt(30)).put("+1", random.nextInt(20)).put("-1", random.nextInt(3))
        .put("laugh", 0).put("hooray", random.nextInt(3)).put("confused", 0).put("heart", random.nextInt(5))
        .put("rocket", 0).put("eyes", 0);
    return i;
  }

  private ObjectNode label(String full) {
    String name = LABELS[random.nextInt(LABELS.length)];
    long id = id();
    return JSON.createObjectNode().put("id", id).put("node_id", random.nextBoolean() ? legacyNodeId("Label", id) : nodeId("LA"))
        .put("url", "https://api.github.com/repos/" + full + "/labels/" + name.replace(" ", "%20"))
        .put("name", name).put("color", hex(6)).put("default", random.nextBoolean())
        .put("description", faker.lorem().sentence(4));
  }

  // --- webhooks -------------------------------------------------------------------------------

  private ObjectNode pushEvent() {
    ObjectNode repo = repo(someLogin());
    repo.put("pushed_at", clock).put("created_at", clock - random.nextInt(90_000_000))
        .put("stargazers", random.nextInt(1000)).put("master_branch", "main");
    String before = hex(40);
    String after = hex(40);
    ObjectNode e = JSON.createObjectNode();
    e.put("ref", "refs/heads/" + faker.options().option("main", "develop", "feature/" + faker.hacker().verb()))
        .put("before", before).put("after", after);
    e.set("repository", repo);
    e.putObject("pusher").put("name", someLogin()).put("email", faker.internet().emailAddress());
    e.set("sender", user(false));
    e.put("created", false).put("deleted", false).put("forced", random.nextInt(10) == 0)
        .put("base_ref", (String) null)
        .put("compare", repo.get("html_url").asText() + "/compare/" + before.substring(0, 12) + "..." + after.substring(0, 12));
    ArrayNode commits = e.putArray("commits");
    for (int i = random.nextInt(3) + 1; i > 0; i--) {
      String sha = hex(40);
      ObjectNode c = commits.addObject();
      c.put("id", sha).put("tree_id", hex(40)).put("distinct", true).put("message", faker.lorem().sentence())
          .put("timestamp", zonedTimestamp()).put("url", repo.get("html_url").asText() + "/commit/" + sha);
      String author = someLogin();
      c.putObject("author").put("name", faker.name().fullName()).put("email", author + "@users.noreply.github.com")
          .put("username", author);
      c.putObject("committer").put("name", "GitHub").put("email", "noreply@github.com").put("username", "web-flow");
      c.putArray("added");
      c.putArray("removed");
      c.putArray("modified").add("README.md").add("src/main/" + faker.hacker().noun().replace(' ', '_') + ".rs");
    }
    e.set("head_commit", commits.get(commits.size() - 1));
    return e;
  }

  private ObjectNode branch(String owner, String full) {
    ObjectNode b = JSON.createObjectNode();
    String ref = faker.options().option("main", "fix/" + faker.hacker().verb(), "dependabot/npm_and_yarn/"
        + faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-') + "-" + version());
    b.put("label", owner + ":" + ref).put("ref", ref).put("sha", hex(40));
    b.set("user", user(false));
    b.set("repo", repo(owner));
    return b;
  }

  private ObjectNode pullRequestEvent() {
    String owner = someLogin();
    String full = owner + "/" + faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    int number = random.nextInt(9000) + 1;
    long id = id();
    String api = "https://api.github.com/repos/" + full;
    ObjectNode pr = JSON.createObjectNode();
    pr.put("url", api + "/pulls/" + number).put("id", id)
        .put("node_id", random.nextBoolean() ? legacyNodeId("PullRequest", id) : nodeId("PR"))
        .put("html_url", "https://github.com/" + full + "/pull/" + number)
        .put("diff_url", "https://github.com/" + full + "/pull/" + number + ".diff")
        .put("patch_url", "https://github.com/" + full + "/pull/" + number + ".patch")
        .put("issue_url", api + "/issues/" + number).put("number", number).put("state", "open")
        .put("locked", false).put("title", "Bump " + faker.app().name().toLowerCase(Locale.ROOT) + " from "
            + version() + " to " + version());
    pr.set("user", user(false));
    pr.put("body", "Bumps [" + faker.app().name() + "](https://github.com/" + someLogin() + "/x) from "
        + version() + " to " + version() + ".\n<details>\n<summary>Release notes</summary>\n<blockquote>\n<h2>v"
        + version() + "</h2>\n<ul>\n<li>" + faker.lorem().sentence() + " by <a href=\"https://github.com/"
        + someLogin() + "\"><code>@" + someLogin() + "</code></a> in #" + random.nextInt(9000)
        + "</li>\n</ul>\n</blockquote>\n</details>\n\nDependabot compatibility score: "
        + "https://docs.github.com/en/github/managing-security-vulnerabilities/about-dependabot-security-updates#about-compatibility-scores\n\n"
        + "Signed-off-by: dependabot[bot] <support@github.com>");
    pr.put("created_at", timestamp()).put("updated_at", timestamp()).put("closed_at", (String) null)
        .put("merged_at", (String) null).put("merge_commit_sha", hex(40));
    pr.putArray("labels").add(label(full));
    pr.put("draft", false).put("commits_url", api + "/pulls/" + number + "/commits")
        .put("review_comments_url", api + "/pulls/" + number + "/comments")
        .put("review_comment_url", api + "/pulls/comments{/number}")
        .put("comments_url", api + "/issues/" + number + "/comments")
        .put("statuses_url", api + "/statuses/" + hex(40));
    pr.set("head", branch(someLogin(), full));
    pr.set("base", branch(owner, full));
    ObjectNode links = pr.putObject("_links");
    links.putObject("self").put("href", api + "/pulls/" + number);
    links.putObject("html").put("href", "https://github.com/" + full + "/pull/" + number);
    pr.put("author_association", "CONTRIBUTOR").put("auto_merge", (String) null)
        .put("active_lock_reason", (String) null).put("merged", false).put("mergeable", (String) null)
        .put("rebaseable", (String) null).put("mergeable_state", "unknown").put("merged_by", (String) null)
        .put("comments", random.nextInt(20)).put("review_comments", random.nextInt(20))
        .put("maintainer_can_modify", false).put("commits", random.nextInt(30) + 1)
        .put("additions", random.nextInt(900)).put("deletions", random.nextInt(900))
        .put("changed_files", random.nextInt(40) + 1);
    ObjectNode e = JSON.createObjectNode();
    e.put("action", faker.options().option("opened", "synchronize", "closed", "labeled")).put("number", number);
    e.set("pull_request", pr);
    e.set("repository", repo(owner));
    e.set("sender", user(false));
    long installation = random.nextInt(90_000_000);
    e.putObject("installation").put("id", installation).put("node_id", legacyNodeId("Integration::Installation", installation));
    return e;
  }

  private ObjectNode releaseEvent() {
    String owner = someLogin();
    ObjectNode repo = repo(owner);
    String full = repo.get("full_name").asText();
    String api = "https://api.github.com/repos/" + full;
    long id = id();
    String tag = "v" + version();
    ObjectNode r = JSON.createObjectNode();
    r.put("url", api + "/releases/" + id).put("assets_url", api + "/releases/" + id + "/assets")
        .put("upload_url", "https://uploads.github.com/repos/" + full + "/releases/" + id + "/assets{?name,label}")
        .put("html_url", "https://github.com/" + full + "/releases/tag/" + tag).put("id", id);
    r.set("author", user(false));
    r.put("node_id", random.nextBoolean() ? legacyNodeId("Release", id) : nodeId("RE"))
        .put("tag_name", tag).put("target_commitish", "main").put("name", tag)
        .put("draft", false).put("prerelease", tag.contains("-")).put("created_at", timestamp())
        .put("published_at", timestamp());
    ArrayNode assets = r.putArray("assets");
    for (String platform : new String[] {"linux_amd64", "darwin_arm64", "windows_amd64"}) {
      long assetId = id();
      String file = repo.get("name").asText() + "_" + tag.substring(1) + "_" + platform + ".tar.gz";
      ObjectNode a = assets.addObject();
      a.put("url", api + "/releases/assets/" + assetId).put("id", assetId)
          .put("node_id", random.nextBoolean() ? legacyNodeId("ReleaseAsset", assetId) : nodeId("RA"))
          .put("name", file).put("label", "").put("content_type", "application/gzip").put("state", "uploaded")
          .put("size", random.nextInt(90_000_000)).put("digest", "sha256:" + hex(64))
          .put("download_count", random.nextInt(100_000)).put("created_at", timestamp())
          .put("updated_at", timestamp())
          .put("browser_download_url", "https://github.com/" + full + "/releases/download/" + tag + "/" + file);
      a.set("uploader", user(false));
    }
    r.put("tarball_url", api + "/tarball/" + tag).put("zipball_url", api + "/zipball/" + tag)
        .put("body", "## What's Changed\n* " + faker.lorem().sentence() + " by @" + someLogin() + " in https://github.com/"
            + full + "/pull/" + random.nextInt(9000) + "\n* Bump golang.org/x/net from 0." + random.nextInt(30)
            + ".0 to 0." + random.nextInt(30) + ".0 by @dependabot in https://github.com/" + full + "/pull/"
            + random.nextInt(9000) + "\n\n**Full Changelog**: https://github.com/" + full + "/compare/v"
            + version() + "..." + tag + "\n\n```\n" + hex(64) + "  checksums.txt\n```\n");
    ObjectNode e = JSON.createObjectNode();
    e.put("action", "published");
    e.set("release", r);
    e.set("repository", repo);
    e.set("sender", user(false));
    return e;
  }

  // --- package registries ---------------------------------------------------------------------

  private ObjectNode npmPackage() {
    String name = (random.nextBoolean() ? "@" + someLogin() + "/" : "")
        + faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    String owner = someLogin();
    ObjectNode p = JSON.createObjectNode();
    p.put("_id", name).put("_rev", random.nextInt(90) + "-" + hex(32)).put("name", name)
        .put("description", faker.lorem().sentence());
    ObjectNode versions = JSON.createObjectNode();
    ObjectNode times = JSON.createObjectNode();
    times.put("created", timestamp());
    String latest = null;
    for (int i = random.nextInt(3) + 2; i > 0; i--) {
      String v = version();
      latest = v;
      ObjectNode ver = versions.putObject(v);
      ver.put("name", name).put("version", v).put("license", "MIT").put("main", "dist/index.js")
          .put("types", "dist/index.d.ts").put("gitHead", hex(40)).put("_id", name + "@" + v)
          .put("_nodeVersion", (16 + random.nextInt(6)) + "." + random.nextInt(20) + "." + random.nextInt(9))
          .put("_npmVersion", version());
      ver.putObject("repository").put("type", "git")
          .put("url", random.nextBoolean() ? "git+ssh://git@github.com/" + owner + "/" + name.replace("@", "") + ".git"
              : "git+https://github.com/" + owner + "/" + name.replace("@", "") + ".git");
      ver.putObject("engines").put("node", ">=" + (12 + random.nextInt(8)) + "." + random.nextInt(20) + ".0");
      ObjectNode deps = ver.putObject("dependencies");
      for (int d = random.nextInt(5); d > 0; d--) {
        deps.put(faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-'),
            faker.options().option("^", "~", ">=", "") + version());
      }
      ObjectNode dist = ver.putObject("dist");
      dist.put("integrity", "sha512-" + base64(64)).put("shasum", hex(40))
          .put("tarball", "https://registry.npmjs.org/" + name + "/-/" + name.replaceAll(".*/", "") + "-" + v + ".tgz")
          .put("fileCount", random.nextInt(300)).put("unpackedSize", random.nextInt(9_000_000));
      dist.putArray("signatures").addObject().put("keyid", "SHA256:" + base64(32).replace("=", ""))
          .put("sig", "MEUCIQ" + base64(66));
      ver.putObject("_npmUser").put("name", owner).put("email", faker.internet().emailAddress());
      ver.putArray("maintainers").addObject().put("name", owner).put("email", faker.internet().emailAddress());
      ver.putObject("directories");
      ver.put("_hasShrinkwrap", false);
      times.put(v, timestamp());
    }
    p.putObject("dist-tags").put("latest", latest);
    p.set("versions", versions);
    p.set("time", times);
    p.put("readme", "# " + name + "\n\n```sh\nnpm install " + name + "@" + latest + "\n```\n\n" + faker.lorem().paragraph()
        + "\n\n[![npm version](https://img.shields.io/npm/v/" + name + ".svg)](https://www.npmjs.com/package/" + name + ")\n");
    return p;
  }

  private ObjectNode pypiPackage() {
    String name = faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    ObjectNode p = JSON.createObjectNode();
    ObjectNode info = p.putObject("info");
    String latest = version();
    info.put("author", faker.name().fullName()).put("author_email", faker.internet().emailAddress())
        .put("bugtrack_url", (String) null).put("description_content_type", "text/markdown")
        .put("home_page", "https://github.com/" + someLogin() + "/" + name).put("license", "Apache-2.0")
        .put("name", name).put("package_url", "https://pypi.org/project/" + name + "/")
        .put("project_url", "https://pypi.org/project/" + name + "/")
        .put("release_url", "https://pypi.org/project/" + name + "/" + latest + "/")
        .put("requires_python", ">=3." + (7 + random.nextInt(5))).put("summary", faker.lorem().sentence())
        .put("version", latest).put("yanked", false);
    ArrayNode classifiers = info.putArray("classifiers");
    classifiers.add("Development Status :: 5 - Production/Stable").add("Intended Audience :: Developers")
        .add("License :: OSI Approved :: Apache Software License").add("Operating System :: OS Independent")
        .add("Programming Language :: Python :: 3").add("Programming Language :: Python :: 3 :: Only")
        .add("Programming Language :: Python :: 3." + (8 + random.nextInt(5)))
        .add("Topic :: Software Development :: Libraries :: Python Modules");
    ArrayNode requires = info.putArray("requires_dist");
    requires.add("requests (>=2." + random.nextInt(32) + "." + random.nextInt(5) + ")")
        .add("urllib3 (<3,>=1.21.1)").add("typing-extensions>=4." + random.nextInt(10) + ".0; python_version < \"3.11\"");
    info.putObject("project_urls").put("Changelog", "https://github.com/" + someLogin() + "/" + name + "/blob/main/CHANGES.md")
        .put("Documentation", "https://" + name + ".readthedocs.io/en/" + latest + "/");
    ObjectNode releases = p.putObject("releases");
    ArrayNode urls = p.putArray("urls");
    for (int i = random.nextInt(3) + 1; i > 0; i--) {
      String v = i == 1 ? latest : version();
      ArrayNode files = releases.putArray(v);
      for (String kind : new String[] {"bdist_wheel", "sdist"}) {
        String file = kind.equals("sdist") ? name + "-" + v + ".tar.gz" : name.replace('-', '_') + "-" + v + "-py3-none-any.whl";
        String sha256 = hex(64);
        ObjectNode f = files.addObject();
        f.put("comment_text", "").put("filename", file).put("has_sig", false)
            .put("md5_digest", hex(32)).put("packagetype", kind)
            .put("python_version", kind.equals("sdist") ? "source" : "py3")
            .put("requires_python", ">=3.8").put("size", random.nextInt(900_000))
            .put("upload_time", timestamp().replace("Z", "")).put("upload_time_iso_8601", timestamp().replace("Z", ".123456Z"))
            .put("url", "https://files.pythonhosted.org/packages/" + hex(2) + "/" + hex(2) + "/" + hex(60) + "/" + file)
            .put("yanked", false).put("yanked_reason", (String) null);
        f.putObject("digests").put("blake2b_256", hex(64)).put("md5", hex(32)).put("sha256", sha256);
        if (i == 1) {
          urls.add(f.deepCopy());
        }
      }
    }
    p.putArray("vulnerabilities");
    p.put("last_serial", 10_000_000 + random.nextInt(20_000_000));
    return p;
  }

  // --- Kubernetes -----------------------------------------------------------------------------

  private ObjectNode pod() {
    String app = faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    String hash = hex(10).replaceAll("[0-3]", "b");
    String podName = app + "-" + hash + "-" + hex(5);
    ObjectNode pod = JSON.createObjectNode();
    pod.put("apiVersion", "v1").put("kind", "Pod");
    ObjectNode meta = pod.putObject("metadata");
    meta.put("name", podName).put("generateName", app + "-" + hash + "-").put("namespace", "production")
        .put("uid", uuid()).put("resourceVersion", String.valueOf(100_000_000 + random.nextInt(900_000_000)))
        .put("creationTimestamp", timestamp());
    String version = version();
    meta.putObject("labels").put("app.kubernetes.io/name", app).put("app.kubernetes.io/version", version)
        .put("pod-template-hash", hash).put("helm.sh/chart", app + "-" + version);
    meta.putObject("annotations").put("checksum/config", hex(64))
        .put("kubectl.kubernetes.io/restartedAt", zonedTimestamp())
        .put("prometheus.io/port", "9090").put("prometheus.io/scrape", "true");
    meta.putArray("ownerReferences").addObject().put("apiVersion", "apps/v1").put("kind", "ReplicaSet")
        .put("name", app + "-" + hash).put("uid", uuid()).put("controller", true).put("blockOwnerDeletion", true);
    ObjectNode managed = meta.putArray("managedFields").addObject();
    managed.put("manager", "kube-controller-manager").put("operation", "Update").put("apiVersion", "v1")
        .put("time", timestamp()).put("fieldsType", "FieldsV1");
    managed.putObject("fieldsV1").putObject("f:metadata").putObject("f:labels").putObject("f:pod-template-hash");
    ObjectNode spec = pod.putObject("spec");
    String image = "registry.example.io/" + app + ":" + version;
    String digest = "sha256:" + hex(64);
    ObjectNode container = spec.putArray("containers").addObject();
    container.put("name", app).put("image", image + "@" + digest).put("imagePullPolicy", "IfNotPresent");
    container.putArray("ports").addObject().put("containerPort", 8080).put("name", "http").put("protocol", "TCP");
    container.putArray("env").addObject().put("name", "OTEL_EXPORTER_OTLP_ENDPOINT")
        .put("value", "http://otel-collector.observability.svc.cluster.local:4317");
    ObjectNode resources = container.putObject("resources");
    resources.putObject("limits").put("cpu", "500m").put("memory", "256Mi");
    resources.putObject("requests").put("cpu", "100m").put("memory", "128Mi");
    container.putArray("volumeMounts").addObject().put("name", "kube-api-access-" + hex(5))
        .put("mountPath", "/var/run/secrets/kubernetes.io/serviceaccount").put("readOnly", true);
    int a = random.nextInt(250);
    int b = random.nextInt(250);
    spec.put("nodeName", "ip-10-0-" + a + "-" + b + ".ec2.internal").put("serviceAccountName", app)
        .put("restartPolicy", "Always").put("terminationGracePeriodSeconds", 30)
        .put("dnsPolicy", "ClusterFirst").put("schedulerName", "default-scheduler");
    ObjectNode status = pod.putObject("status");
    status.put("phase", "Running").put("hostIP", "10.0." + a + "." + b)
        .put("podIP", "10.244." + random.nextInt(250) + "." + random.nextInt(250)).put("startTime", timestamp())
        .put("qosClass", "Burstable");
    status.putArray("conditions").addObject().put("type", "Ready").put("status", "True")
        .put("lastProbeTime", (String) null).put("lastTransitionTime", timestamp());
    ObjectNode cs = status.putArray("containerStatuses").addObject();
    cs.put("name", app).put("image", image).put("imageID", "registry.example.io/" + app + "@" + digest)
        .put("containerID", "containerd://" + hex(64)).put("ready", true)
        .put("restartCount", random.nextInt(4)).put("started", true);
    cs.putObject("state").putObject("running").put("startedAt", timestamp());
    ObjectNode list = JSON.createObjectNode();
    list.put("apiVersion", "v1").put("kind", "List");
    list.putObject("metadata").put("resourceVersion", "");
    list.putArray("items").add(pod);
    return list;
  }

  // --- logs -----------------------------------------------------------------------------------

  private ObjectNode logLine() {
    ObjectNode l = JSON.createObjectNode();
    clock += random.nextInt(3);
    String trace = hex(32);
    String span = hex(16);
    l.put("ts", DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(clock * 1000 + random.nextInt(1000))))
        .put("level", faker.options().option("info", "info", "debug", "warn", "error"))
        .put("msg", faker.options().option("request completed", "cache miss", "upstream retry", "db query"))
        .put("service", faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-'))
        .put("version", version())
        .put("request_id", random.nextBoolean() ? uuid() : "req_" + hex(24))
        .put("trace_id", trace).put("span_id", span)
        .put("traceparent", "00-" + trace + "-" + span + "-01")
        .put("x_amzn_trace_id", "Root=1-" + hex(8) + "-" + hex(24))
        .put("method", faker.options().option("GET", "POST", "PUT", "DELETE"))
        .put("path", "/api/v" + (random.nextInt(3) + 1) + "/orders/" + random.nextInt(9_999_999) + "/items")
        .put("status", faker.options().option(200, 201, 204, 304, 404, 500))
        .put("duration_ms", Math.round(random.nextDouble() * 500_000) / 1000.0)
        .put("upstream_latency", String.format(Locale.ROOT, "%.6fs", random.nextDouble()))
        .put("bytes", random.nextInt(90_000))
        .put("remote_addr", "10." + random.nextInt(250) + "." + random.nextInt(250) + "." + random.nextInt(250))
        .put("user_agent", faker.options().option(
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" + (100 + random.nextInt(30)) + ".0.0.0 Safari/537.36",
            "curl/8." + random.nextInt(9) + ".1", "okhttp/4." + random.nextInt(12) + ".0",
            "Go-http-client/2.0", "python-requests/2." + random.nextInt(32) + ".0"))
        .put("caller", faker.hacker().noun().replace(' ', '_') + "/handler.go:" + random.nextInt(900))
        .put("pid", random.nextInt(60_000)).put("goroutine", random.nextInt(90_000))
        .put("db_rows", random.nextInt(5000)).put("cache_key", "orders:" + random.nextInt(9_999_999) + ":" + hex(8));
    return l;
  }

  // --- more GitHub REST: contents, trees, Actions, keys and hooks ----------------------------

  private ObjectNode contents() {
    String full = someLogin() + "/" + faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    String path = faker.options().option("README.md", "package.json", "src/main.go", "Dockerfile");
    String sha = hex(40);
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      text.append(faker.lorem().sentence()).append('\n');
    }
    String b64 = Base64.getMimeEncoder(60, new byte[] {'\n'})
        .encodeToString(text.toString().getBytes(StandardCharsets.UTF_8)) + "\n";
    ObjectNode c = JSON.createObjectNode();
    c.put("type", "file").put("encoding", "base64").put("size", text.length()).put("name", path)
        .put("path", path).put("content", b64).put("sha", sha)
        .put("url", "https://api.github.com/repos/" + full + "/contents/" + path + "?ref=main")
        .put("git_url", "https://api.github.com/repos/" + full + "/git/blobs/" + sha)
        .put("html_url", "https://github.com/" + full + "/blob/main/" + path)
        .put("download_url", "https://raw.githubusercontent.com/" + full + "/main/" + path);
    ObjectNode links = c.putObject("_links");
    links.put("self", c.get("url").asText()).put("git", c.get("git_url").asText()).put("html", c.get("html_url").asText());
    return c;
  }

  private ObjectNode tree() {
    String full = someLogin() + "/" + faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    String sha = hex(40);
    ObjectNode t = JSON.createObjectNode();
    t.put("sha", sha).put("url", "https://api.github.com/repos/" + full + "/git/trees/" + sha);
    ArrayNode entries = t.putArray("tree");
    for (int i = 0; i < 30; i++) {
      String entrySha = hex(40);
      boolean dir = random.nextInt(4) == 0;
      ObjectNode e = entries.addObject();
      e.put("path", faker.hacker().noun().replace(' ', '_') + (dir ? "" : "." + faker.options().option("go", "md", "yaml", "json")))
          .put("mode", dir ? "040000" : faker.options().option("100644", "100755", "120000"))
          .put("type", dir ? "tree" : "blob").put("sha", entrySha);
      if (!dir) {
        e.put("size", random.nextInt(90_000));
      }
      e.put("url", "https://api.github.com/repos/" + full + "/git/" + (dir ? "trees/" : "blobs/") + entrySha);
    }
    t.put("truncated", false);
    return t;
  }

  private ObjectNode workflowRun() {
    String owner = someLogin();
    ObjectNode repo = repo(owner);
    String full = repo.get("full_name").asText();
    long id = 1_000_000_000L + (random.nextLong() & 0xfffffffL);
    String headSha = hex(40);
    ObjectNode r = JSON.createObjectNode();
    r.put("id", id).put("name", "CI").put("node_id", nodeId("WFR"))
        .put("head_branch", "main").put("head_sha", headSha).put("path", ".github/workflows/ci.yml")
        .put("display_title", faker.lorem().sentence()).put("run_number", random.nextInt(9000))
        .put("event", "push").put("status", "completed").put("conclusion", "success")
        .put("workflow_id", random.nextInt(90_000_000)).put("check_suite_id", 10_000_000_000L + random.nextInt(900_000_000))
        .put("check_suite_node_id", nodeId("CS"))
        .put("url", "https://api.github.com/repos/" + full + "/actions/runs/" + id)
        .put("html_url", "https://github.com/" + full + "/actions/runs/" + id)
        .put("created_at", timestamp()).put("updated_at", timestamp()).put("run_attempt", 1)
        .put("run_started_at", timestamp())
        .put("jobs_url", "https://api.github.com/repos/" + full + "/actions/runs/" + id + "/jobs")
        .put("logs_url", "https://api.github.com/repos/" + full + "/actions/runs/" + id + "/logs")
        .put("artifacts_url", "https://api.github.com/repos/" + full + "/actions/runs/" + id + "/artifacts");
    r.set("actor", user(false));
    ObjectNode head = r.putObject("head_commit");
    head.put("id", headSha).put("tree_id", hex(40)).put("message", faker.lorem().sentence()).put("timestamp", timestamp());
    head.putObject("author").put("name", faker.name().fullName()).put("email", faker.internet().emailAddress());
    r.set("repository", repo);
    ObjectNode check = JSON.createObjectNode();
    check.put("total_count", 1);
    check.putArray("workflow_runs").add(r);
    ObjectNode job = check.putArray("jobs").addObject();
    job.put("id", id + 17).put("run_id", id).put("status", "completed").put("conclusion", "success")
        .put("runner_name", "GitHub Actions " + random.nextInt(900)).put("runner_group_id", 2)
        .put("labels", "ubuntu-22.04");
    ObjectNode output = job.putObject("output");
    output.put("title", "Test results").put("summary", "Tests: " + random.nextInt(3000) + " passed, " + random.nextInt(20)
        + " skipped in " + random.nextInt(60) + "m" + random.nextInt(60) + "." + random.nextInt(999) + "s\n"
        + "Runner image ubuntu-22.04 version 20" + (23 + random.nextInt(2)) + "1" + random.nextInt(2) + "0" + (1 + random.nextInt(9))
        + "." + random.nextInt(9) + "\nGo " + "1.21." + random.nextInt(9) + ", Node " + (18 + random.nextInt(3)) + "." + random.nextInt(20) + ".0\n"
        + "Coverage " + random.nextInt(100) + "." + random.nextInt(10) + "% (" + random.nextInt(90_000) + " of " + random.nextInt(90_000) + " lines)\n");
    return check;
  }

  private ObjectNode keysAndHooks() {
    ObjectNode k = JSON.createObjectNode();
    long keyId = random.nextInt(90_000_000);
    k.putObject("deploy_key").put("id", keyId)
        .put("key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + base64(32).replace("=", ""))
        .put("url", "https://api.github.com/repos/" + someLogin() + "/app/keys/" + keyId)
        .put("title", "deploy@" + faker.internet().domainWord()).put("verified", true)
        .put("created_at", timestamp()).put("read_only", true).put("added_by", someLogin()).put("last_used", timestamp());
    k.putObject("secrets_public_key").put("key_id", String.valueOf(100_000_000_000_000_000L + (random.nextLong() & 0xffffffffffffL)))
        .put("key", base64(32));
    ObjectNode gpg = k.putObject("gpg_key");
    gpg.put("id", random.nextInt(9_000_000)).put("name", "Laptop").put("primary_key_id", (String) null)
        .put("key_id", hex(16).toUpperCase(Locale.ROOT)).put("public_key", "xsBNBF" + base64(180))
        .put("can_sign", true).put("can_encrypt_comms", false).put("can_certify", true)
        .put("created_at", timestamp()).put("expires_at", (String) null).put("revoked", false)
        .put("raw_key", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n" + base64(120) + "\n=" + base64(3)
            + "\n-----END PGP PUBLIC KEY BLOCK-----\n");
    gpg.putArray("emails").addObject().put("email", faker.internet().emailAddress()).put("verified", true);
    StringBuilder fingerprint = new StringBuilder();
    for (int i = 0; i < 16; i++) {
      fingerprint.append(i == 0 ? "" : ":").append(hex(2));
    }
    k.putObject("ssh_signing_key").put("id", random.nextInt(9_000_000)).put("title", "ssh-rsa signing key")
        .put("fingerprint_md5", fingerprint.toString())
        .put("fingerprint", "SHA256:" + base64(32).replace("=", ""));
    ObjectNode hook = k.putObject("hook");
    long hookId = random.nextInt(900_000_000);
    hook.put("type", "Repository").put("id", hookId).put("name", "web").put("active", true);
    hook.putArray("events").add("push").add("pull_request");
    hook.putObject("config").put("content_type", "json").put("insecure_ssl", "0")
        .put("url", "https://ci.example.com/hooks/" + hex(8)).put("secret", "********");
    hook.put("updated_at", timestamp()).put("created_at", timestamp())
        .put("url", "https://api.github.com/repos/" + someLogin() + "/app/hooks/" + hookId)
        .put("test_url", "https://api.github.com/repos/" + someLogin() + "/app/hooks/" + hookId + "/test")
        .put("ping_url", "https://api.github.com/repos/" + someLogin() + "/app/hooks/" + hookId + "/pings");
    hook.putObject("last_response").put("code", (String) null).put("status", "unused").put("message", (String) null);
    ObjectNode authorization = k.putObject("authorization");
    authorization.put("id", random.nextInt(90_000_000)).put("url", "https://api.github.com/authorizations/" + random.nextInt(9_000_000))
        .put("token", "").put("token_last_eight", hex(8)).put("hashed_token", hex(64))
        .put("note", faker.lorem().sentence(3)).put("fingerprint", hex(16)).put("created_at", timestamp());
    authorization.putArray("scopes").add("public_repo").add("read:user");
    authorization.putObject("app").put("client_id", "Iv1." + hex(16)).put("name", faker.app().name())
        .put("url", "https://docs.github.com/en/rest/oauth-authorizations");
    ObjectNode token = k.putObject("installation_token");
    token.put("token", "ghs_" + "0".repeat(36)).put("expires_at", timestamp());
    token.putObject("permissions").put("issues", "write").put("contents", "read");
    token.put("repository_selection", "selected");
    return k;
  }

  // --- other vendors' API shapes: a shop order, a payment event, chat and SMS messages --------

  private ObjectNode commerceAndMessaging() {
    ObjectNode x = JSON.createObjectNode();
    ObjectNode order = x.putObject("order");
    long orderId = 450_000_000L + random.nextInt(90_000_000);
    order.put("id", orderId).put("admin_graphql_api_id", "gid://shopify/Order/" + orderId)
        .put("checkout_token", hex(32)).put("cart_token", hex(32))
        .put("confirmation_number", hex(9).toUpperCase(Locale.ROOT)).put("order_number", 1000 + random.nextInt(9000))
        .put("created_at", zonedTimestamp()).put("currency", "EUR")
        .put("total_price", random.nextInt(900) + "." + (10 + random.nextInt(89)))
        .put("total_weight", random.nextInt(9000)).put("phone", (String) null)
        .put("browser_ip", "10." + random.nextInt(250) + "." + random.nextInt(250) + "." + random.nextInt(250))
        .put("landing_site", "/?utm_source=newsletter&utm_campaign=" + hex(6));
    ArrayNode items = order.putArray("line_items");
    for (int i = random.nextInt(3) + 1; i > 0; i--) {
      items.addObject().put("id", 466_157_049L + random.nextInt(900_000)).put("variant_id", 39_072_856L + random.nextInt(900_000))
          .put("sku", "SKU-" + random.nextInt(99_999)).put("quantity", random.nextInt(5) + 1)
          .put("price", random.nextInt(300) + ".00").put("grams", random.nextInt(5000))
          .put("title", faker.commerce().productName());
    }
    ObjectNode event = x.putObject("payment_event");
    event.put("id", "evt_" + base62(24)).put("object", "event").put("api_version", "2023-10-16")
        .put("created", clock).put("livemode", false).put("pending_webhooks", random.nextInt(3))
        .put("type", "invoice.paid");
    event.putObject("request").put("id", "req_" + base62(14)).put("idempotency_key", uuid());
    event.putObject("data").putObject("object").put("id", "in_" + base62(24)).put("customer", "cus_" + base62(14))
        .put("amount_paid", random.nextInt(99_999)).put("charge", "ch_" + base62(24))
        .put("number", hex(8).toUpperCase(Locale.ROOT) + "-" + String.format("%04d", random.nextInt(9999)))
        .put("period_start", clock - 2_592_000).put("period_end", clock);
    ObjectNode chat = x.putObject("chat_message");
    chat.put("ok", true).put("channel", "C" + base62(10).toUpperCase(Locale.ROOT))
        .put("ts", clock + "." + String.format("%06d", random.nextInt(999_999)));
    chat.putObject("message").put("type", "message").put("user", "U" + base62(10).toUpperCase(Locale.ROOT))
        .put("team", "T" + base62(8).toUpperCase(Locale.ROOT)).put("text", faker.lorem().sentence())
        .put("client_msg_id", uuid());
    ObjectNode sms = x.putObject("sms");
    String account = "AC" + hex(32);
    String sid = "SM" + hex(32);
    sms.put("account_sid", account).put("sid", sid).put("api_version", "2010-04-01").put("status", "queued")
        .put("num_segments", "1").put("price", (String) null).put("date_created", HTTP_DATE.format(Instant.ofEpochSecond(clock)))
        .put("uri", "/2010-04-01/Accounts/" + account + "/Messages/" + sid + ".json");
    return x;
  }

  private String base62(int length) {
    String alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  // --- OpenAPI and docs -----------------------------------------------------------------------

  private ObjectNode openApi() {
    ObjectNode d = JSON.createObjectNode();
    d.put("openapi", "3.0.3");
    d.putObject("info").put("title", faker.company().name() + " API").put("version", version())
        .put("description", faker.lorem().paragraph());
    d.putArray("servers").addObject().put("url", "https://api.example.com/v1");
    ObjectNode paths = d.putObject("paths");
    for (String resource : new String[] {"orders", "customers", "invoices", "webhooks"}) {
      ObjectNode get = paths.putObject("/" + resource + "/{id}").putObject("get");
      get.put("operationId", "get" + resource).put("summary", "Retrieve one of the " + resource);
      get.putArray("parameters").addObject().put("name", "id").put("in", "path").put("required", true)
          .putObject("schema").put("type", "string").put("example", resource.substring(0, 3) + "_" + hex(14));
      ObjectNode ok = get.putObject("responses").putObject("200");
      ok.put("description", "OK");
      ObjectNode example = ok.putObject("content").putObject("application/json").putObject("example");
      example.put("id", resource.substring(0, 3) + "_" + hex(14)).put("object", resource)
          .put("created", clock).put("amount", random.nextInt(99_999)).put("currency", "usd")
          .put("livemode", false).put("status", "succeeded").put("version", version())
          .put("idempotency_key", uuid()).put("request_id", "req_" + hex(14))
          .put("updated_at", timestamp()).put("description", faker.lorem().sentence());
      example.putObject("metadata").put("order_id", String.valueOf(random.nextInt(9_999_999)));
      ObjectNode schemas = d.with("components").with("schemas");
      ObjectNode s = schemas.putObject(resource.substring(0, 1).toUpperCase(Locale.ROOT) + resource.substring(1));
      s.put("type", "object");
      ObjectNode props = s.putObject("properties");
      props.putObject("id").put("type", "string").put("pattern", "^[a-z]{3}_[0-9a-f]{14}$");
      props.putObject("amount").put("type", "integer").put("format", "int64").put("minimum", 0)
          .put("maximum", 99_999_999).put("example", random.nextInt(99_999));
      props.putObject("created").put("type", "integer").put("format", "unix-time").put("example", clock);
      props.putObject("ratio").put("type", "number").put("format", "double").put("example", 1e-10);
    }
    d.with("components").with("securitySchemes").putObject("bearerAuth").put("type", "http")
        .put("scheme", "bearer").put("bearerFormat", "JWT");
    return d;
  }

  private String openApiYaml() {
    String v = version();
    return "openapi: 3.1.0\ninfo:\n  title: " + faker.company().name() + " API\n  version: " + v + "\n"
        + "servers:\n  - url: https://api.example.com/{version}\n    variables:\n      version:\n        default: v"
        + (random.nextInt(3) + 1) + "\n"
        + "paths:\n  /repos/{owner}/{repo}/commits/{sha}:\n    get:\n      operationId: repos/get-commit\n"
        + "      parameters:\n        - name: sha\n          in: path\n          required: true\n          schema:\n"
        + "            type: string\n          example: " + hex(40) + "\n"
        + "      responses:\n        '200':\n          description: Response\n          headers:\n            ETag:\n"
        + "              example: W/\"" + hex(32) + "\"\n            X-RateLimit-Reset:\n              example: " + clock + "\n"
        + "          content:\n            application/json:\n              example:\n"
        + "                sha: " + hex(40) + "\n                node_id: " + nodeId("C") + "\n"
        + "                ssh_url: git@github.com:" + someLogin() + "/hello-world.git\n"
        + "                git_url: git://github.com/" + someLogin() + "/hello-world.git\n"
        + "                size: " + random.nextInt(90_000) + "\n                created_at: '" + timestamp() + "'\n"
        + "                gravatar_id: ''\n                version: " + version() + "\n"
        + "components:\n  securitySchemes:\n    api_key:\n      type: apiKey\n      name: X-API-Key\n      in: header\n";
  }

  private String apiDocs() {
    String owner = someLogin();
    String repo = faker.app().name().toLowerCase(Locale.ROOT).replace(' ', '-');
    return "## Cloning\n\nClone over SSH with `git clone git@github.com:" + owner + "/" + repo + ".git`, or with\n"
        + "`git clone ssh://git@github.com/" + owner + "/" + repo + ".git`. Pin the release by its commit, "
        + hex(40) + ",\nor download `" + repo + "_" + version() + "_linux_amd64.tar.gz` (sha256 `" + hex(64) + "`).\n\n"
        + "## Rate limits\n\nEach response carries `X-RateLimit-Limit: 5000`, `X-RateLimit-Remaining: 4999` and\n"
        + "`X-RateLimit-Reset: " + clock + "` (seconds since the epoch). Requests are identified by\n"
        + "`X-GitHub-Request-Id: " + (hex(4) + ":" + hex(5) + ":" + hex(7) + ":" + hex(7) + ":" + hex(8)).toUpperCase(Locale.ROOT) + "`.\n\n"
        + "## Changelog\n\n### " + version() + " (" + timestamp().substring(0, 10) + ")\n\n"
        + "* Requires Go " + "1." + (18 + random.nextInt(5)) + "." + random.nextInt(12) + " and Node.js " + (16 + random.nextInt(6)) + "."
        + random.nextInt(20) + "." + random.nextInt(9) + ".\n"
        + "* Update V8 to " + (10 + random.nextInt(2)) + "." + random.nextInt(9) + "." + random.nextInt(300) + "." + random.nextInt(30) + ".\n"
        + "* Fix a panic when the ETag is `W/\"" + hex(40) + "\"` (#" + random.nextInt(9000) + ", " + hex(7) + ").\n"
        + "* Timeouts now default to " + random.nextInt(120) + "s; retries back off from 0." + random.nextInt(999) + "s.\n"
        + "* " + faker.lorem().paragraph() + "\n\n"
        + "Example:\n\n```\n$ curl -H \"Authorization: Bearer $GITHUB_TOKEN\" https://api.github.com/repos/" + owner + "/" + repo + "/releases/latest\n"
        + "{\"id\": " + id() + ", \"tag_name\": \"v" + version() + "\", \"node_id\": \"" + nodeId("RE") + "\"}\n```\n\n";
  }
}
