package dev.custos.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.AggregatedHttpResponse;
import com.linecorp.armeria.common.HttpData;
import com.linecorp.armeria.common.HttpHeaderNames;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.SessionProtocol;
import dev.custos.command.internal.web.Dashboard;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's headless Chromium through its chromedriver) against a
 * real command plane (SQLite, ephemeral port) fed through the real ingest endpoint. Skipped when
 * Chromium or the bundle is absent, unless {@code CI=true}. Screenshots go to
 * {@code target/screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardBrowserTest {
  private static final String CHROMIUM = "/usr/bin/chromium";
  private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** A card number that must never reach a page: only its hash and masked preview are sent. */
  private static final String CANARY_CARD = "4111111111111111";
  private static final String ADMIN_TOKEN = "admin-token-5551234567";
  private static final String READ_TOKEN = "read-token-7776543210";
  private static final TestEvents.Value CANARY = new TestEvents.Value("credit_card",
      "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00", "************1111");

  @TempDir
  static Path dir;

  private static CommandPlane plane;
  private static ChromeDriver driver;
  private static WebDriverWait wait;
  private static String base;

  @BeforeAll
  static void start() throws IOException {
    boolean ci = "true".equals(System.getenv("CI"));
    boolean browser = new File(CHROMIUM).canExecute() && new File(CHROMEDRIVER).canExecute();
    if (!browser && ci) {
      fail(CHROMIUM + " and " + CHROMEDRIVER + " are required when CI=true (apt-get install"
          + " chromium chromium-driver)");
    }
    assumeTrue(browser, "Chromium or chromedriver is not installed");
    boolean bundled = Dashboard.class.getClassLoader()
        .getResource(Dashboard.ROOT + "/index.html") != null;
    if (!bundled && ci) {
      fail("the dashboard bundle is missing from the class path (built with -Dskip.npm?)");
    }
    assumeTrue(bundled, "the dashboard bundle was not built (-Dskip.npm)");

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-extensions", "--window-size=1400,1000",
        "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium")));
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(CHROMEDRIVER)).usingAnyFreePort().build();
    // The browser starts while the plane starts and takes the demo traffic.
    CompletableFuture<ChromeDriver> starting = CompletableFuture.supplyAsync(
        () -> new ChromeDriver(service, options));
    try {
      plane = CommandPlane.builder(CommandConfig.parse("""
          listen: 127.0.0.1:0
          tokens:
            - { name: edge, sha256: %s }
          api_tokens:
            - { name: ops, sha256: %s, role: admin }
            - { name: viewer, sha256: %s, role: read }
          """.formatted(CommandPlaneTest.sha256(CommandPlaneTest.TOKEN),
          CommandPlaneTest.sha256(ADMIN_TOKEN), CommandPlaneTest.sha256(READ_TOKEN)),
          "command.yaml", dir)).build();
      plane.start();
      base = "http://127.0.0.1:" + plane.activePort() + "/";
      ingestDemoTraffic();
    } finally {
      driver = starting.join();
    }
    // Generous: a wait ends as soon as its condition holds, and CI's two cores are busy.
    wait = new WebDriverWait(driver, Duration.ofSeconds(30));
    // A page re-renders as its data arrives: an element found a moment ago may be replaced.
    wait.ignoring(StaleElementReferenceException.class);
  }

  @AfterAll
  static void stop() {
    if (driver != null) {
      driver.quit();
    }
    if (plane != null) {
      plane.stop();
    }
  }

  /**
   * Demo-like traffic: at gateway-1, two services and one anonymous caller on two routes; at
   * sidecar-2, a third service receiving one of the same cards (its lineage has two steps).
   */
  private static void ingestDemoTraffic() {
    Instant t = Instant.now().minus(10, ChronoUnit.MINUTES);
    List<String> gateway = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      gateway.add(event(t.plusSeconds(i), "payments", "payments-api", "checkout",
          "a1b2c3d4e5f60001", Map.of("credit_card", 2), "redact",
          List.of(TestEvents.card(i), CANARY)));
    }
    for (int i = 0; i < 4; i++) {
      gateway.add(event(t.plusSeconds(10 + i), "users", "users-api", "crm", "a1b2c3d4e5f60002",
          Map.of("email_address", 1, "us_ssn", 1), "observe", List.of(
              new TestEvents.Value("email_address", String.format("%032x", 500 + i),
                  "c*******"),
              new TestEvents.Value("us_ssn", String.format("%032x", 600 + i), "*****12" + i))));
    }
    gateway.add(event(t.plusSeconds(30), "users", "users-api", "", "a1b2c3d4e5f60003",
        Map.of("us_ssn", 3), "block", List.of()));
    ingest("gateway-1", gateway);
    ingest("sidecar-2", List.of(event(t.plusSeconds(60), "ledger", "ledger-db", "billing",
        "a1b2c3d4e5f60004", Map.of("credit_card", 1), "observe", List.of(CANARY))));
  }

  private static void ingest(String proxyId, List<String> lines) {
    WebClient client = WebClient.of(SessionProtocol.H2C,
        com.linecorp.armeria.client.Endpoint.of("127.0.0.1", plane.activePort()));
    AggregatedHttpResponse res = client.execute(RequestHeaders.builder(HttpMethod.POST,
        "/api/v1/ingest/events")
        .contentType(MediaType.parse("application/x-ndjson"))
        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + CommandPlaneTest.TOKEN)
        .set("custos-proxy-id", proxyId)
        .set("custos-batch-id", UUID.randomUUID().toString())
        .build(), HttpData.wrap(TestEvents.body(lines))).aggregate().join();
    assertThat(res.status()).as(res.contentUtf8()).isEqualTo(HttpStatus.ACCEPTED);
  }

  private static String event(Instant time, String route, String cluster, String service,
      String identity, Map<String, Integer> categories, String action,
      List<TestEvents.Value> evidence) {
    try {
      ObjectNode o = (ObjectNode) JSON.readTree(TestEvents.line(time, route, cluster, "response",
          identity, categories, List.of(action), evidence));
      if (!service.isEmpty()) {
        o.put("service", service);
      }
      if (action.equals("block")) {
        o.put("blocked_by", "ssn-block");
      }
      return o.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void open(String hash) {
    driver.get(base + hash);
  }

  /** Waits until the page holds no loading placeholder any more. */
  private static void settled() {
    wait.until(d -> d.findElements(By.cssSelector("#page .loading")).isEmpty());
  }

  private static void screenshot(String name) throws IOException {
    Path target = Paths.get("target", "screenshots");
    Files.createDirectories(target);
    Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), target.resolve(name + ".png"),
        StandardCopyOption.REPLACE_EXISTING);
  }

  /** Checks what a page shows: no canary, and no script or policy error on the console. */
  private static void checkPage(String name) throws IOException {
    settled();
    screenshot(name);
    String text = driver.findElement(By.tagName("body")).getText();
    String html = driver.getPageSource();
    assertThat(text).as(name).doesNotContain(CANARY_CARD);
    assertThat(html).as(name).doesNotContain(CANARY_CARD);
    List<String> consoleErrors = new ArrayList<>();
    for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
      // The browser logs every 401 answer: a refused token (the sign-in tests). Anything else
      // counts, a 404 too: every route the dashboard calls is on the plane.
      String m = e.getMessage();
      boolean expected = m.contains("Failed to load resource") && m.contains("status of 401");
      if (e.getLevel().intValue() >= Level.SEVERE.intValue() && !expected) {
        consoleErrors.add(name + ": " + e.getMessage());
      }
    }
    assertThat(consoleErrors).as("console errors").isEmpty();
  }

  @Test
  @Order(10)
  void aPlaneThatStopsAnsweringShowsARetryMessage() throws IOException {
    open("#/signin");
    WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    token.sendKeys(READ_TOKEN);
    token.submit();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#map-graph")));
    plane.stop();

    // The page is loaded already; only its API calls fail now.
    ((JavascriptExecutor) driver).executeScript("location.hash = '#/identities'");
    WebElement error = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#page [data-error=unavailable]")));
    assertThat(error.getText()).contains("did not answer", "retry");
    assertThat(error.findElements(By.xpath(".//button[text()='Retry']"))).hasSize(1);
    screenshot("unavailable");
    driver.manage().logs().get(LogType.BROWSER); // the refused connections, expected here
  }

  @Test
  @Order(1)
  void signingInWithATokenOpensTheServiceMapOfTheIngestedFlows() throws IOException {
    open("");
    WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    token.sendKeys("not-a-token");
    token.submit();
    wait.until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("form.signin [data-error=unauthorized]")));
    token.clear();
    token.sendKeys(ADMIN_TOKEN);
    token.submit();

    WebElement graph = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("#map-graph[data-ready=true]")));
    // Callers: services checkout, crm and billing, one identity without a service; routes:
    // payments, users, ledger.
    assertThat(graph.getAttribute("data-nodes")).isEqualTo("7");
    // checkout-payments card; crm-users email and SSN; identity-users SSN; billing-ledger card.
    assertThat(graph.getAttribute("data-edges")).isEqualTo("5");
    assertThat(graph.getAttribute("data-categories"))
        .isEqualTo("credit_card email_address us_ssn");
    assertThat(driver.findElements(By.cssSelector("[data-table=map-edges] tbody tr"))).hasSize(5);
    assertThat(driver.findElement(By.id("who")).getText()).contains("ops", "admin");
    checkPage("map");
  }

  @Test
  @Order(2)
  void theMapsCategoryFilterKeepsOnlyThatCategorysEdges() throws IOException {
    open("#/map");
    WebElement category = wait.until(ExpectedConditions.visibilityOfElementLocated(
        By.cssSelector("form.filters input[name=category]")));
    category.sendKeys("us_ssn");
    category.submit();

    wait.until(ExpectedConditions.attributeToBe(By.cssSelector("#map-graph[data-ready=true]"),
        "data-categories", "us_ssn"));
    assertThat(driver.findElement(By.id("map-graph")).getAttribute("data-edges")).isEqualTo("2");
    assertThat(driver.getCurrentUrl()).contains("category=us_ssn");
    checkPage("map-us_ssn");

    // An edge's category opens the findings of that category on that route.
    driver.findElement(By.cssSelector("[data-table=map-edges] tbody tr a")).click();
    By rows = By.cssSelector("[data-table=findings] tbody tr");
    wait.until(ExpectedConditions.presenceOfElementLocated(rows));
    assertThat(driver.getCurrentUrl()).contains("#/findings", "category=us_ssn", "route=users");
    for (WebElement row : driver.findElements(rows)) {
      assertThat(row.getText()).contains("users", "us_ssn");
    }
  }

  @Test
  @Order(3)
  void aCategoryFilterNarrowsTheFindingsList() throws IOException {
    open("#/findings");
    By rows = By.cssSelector("[data-table=findings] tbody tr");
    wait.until(ExpectedConditions.numberOfElementsToBe(rows, 12));
    WebElement category = driver.findElement(By.cssSelector("form.filters input[name=category]"));
    category.sendKeys("credit_card");
    category.submit();

    wait.until(ExpectedConditions.numberOfElementsToBe(rows, 7));
    for (WebElement row : driver.findElements(rows)) {
      assertThat(row.findElements(By.cssSelector("[data-category=credit_card]"))).isNotEmpty();
      // Each event's values: masked previews and links to their lineage by evidence hash.
      assertThat(row.findElements(By.cssSelector("ul.evidence a.hash"))).isNotEmpty();
    }
    WebElement canary = driver.findElement(By.cssSelector("ul.evidence a[href*='"
        + CANARY.hash() + "']"));
    assertThat(canary.findElement(By.xpath("..")).getText()).contains(CANARY.preview());
    checkPage("findings-credit_card");
  }

  @Test
  @Order(4)
  void theLineageOfAnEvidenceHashShowsWhereTheValueWasSeen() throws IOException {
    open("#/lineage/" + CANARY.hash());

    WebElement path = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("ol.path")));
    // First at gateway-1 (payments), then at sidecar-2 (ledger): the same card moved on.
    assertThat(path.getAttribute("data-steps")).isEqualTo("2");
    List<WebElement> steps = path.findElements(By.tagName("li"));
    assertThat(steps.get(0).getText()).contains("gateway-1", "payments", CANARY.preview());
    assertThat(steps.get(1).getText()).contains("sidecar-2", "ledger", CANARY.preview());
    checkPage("lineage");
  }

  @Test
  @Order(5)
  void everyOtherPageLoadsWithoutErrors() throws IOException {
    for (String page : List.of("heatmap", "identities", "policies", "rollouts", "alerts")) {
      open("#/" + page);
      wait.until(ExpectedConditions.attributeToBe(By.id("page"), "data-page", page));
      settled();
      assertThat(driver.findElements(By.cssSelector("#page .error"))).as(page)
          .extracting(WebElement::getText).isEmpty();
      checkPage(page);
    }
  }

  @Test
  @Order(6)
  void anAdminStoresAPolicyVersionStartsAShadowRolloutAndEnforcesIt() throws IOException {
    open("#/policies");
    WebElement form = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("form[data-form=policy-version]")));
    form.findElement(By.name("name")).sendKeys("edge-cards");
    form.findElement(By.name("body")).sendKeys("version: 1\nrules:\n  - name: cards are masked\n"
        + "    categories: [credit_card]\n    action: redact\n");
    form.findElement(By.name("comment")).sendKeys("mask cards");
    form.findElement(By.cssSelector("button[type=submit]")).click();

    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("pre.body"),
        "cards are masked"));
    assertThat(driver.findElement(By.cssSelector("[data-table=versions]")).getText())
        .contains("ops", "mask cards");
    // The next version starts from this one's body: add a rule, see it in the diff.
    form = driver.findElement(By.cssSelector("form[data-form=policy-version]"));
    WebElement draft = form.findElement(By.name("body"));
    wait.until(d -> draft.getAttribute("value").contains("cards are masked"));
    draft.sendKeys("  - name: bulk ssn\n    categories: [us_ssn]\n    action: block\n");
    form.findElement(By.name("comment")).sendKeys("block SSNs");
    form.findElement(By.cssSelector("button[type=submit]")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("pre.diff .d-add"), "bulk ssn"));
    assertThat(driver.findElements(By.cssSelector("[data-table=versions] tbody tr"))).hasSize(2);
    checkPage("policy-version");

    driver.findElement(By.linkText("Start a shadow rollout of this version")).click();
    WebElement rollout = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("form[data-form=rollout]")));
    assertThat(rollout.findElement(By.name("policy")).getAttribute("value"))
        .isEqualTo("edge-cards");
    assertThat(rollout.findElement(By.name("version")).getAttribute("value")).isEqualTo("2");
    assertThat(rollout.findElement(By.name("enforce")).isSelected()).isFalse();
    rollout.findElement(By.cssSelector("button[type=submit]")).click();

    By state = By.cssSelector("[data-table=rollouts] [data-state]");
    wait.until(ExpectedConditions.textToBe(state, "shadow"));
    checkPage("rollout-shadow");
    driver.findElement(By.cssSelector("[data-table=rollouts] button[data-action=enforce]"))
        .click();
    wait.until(d -> !d.findElement(state).getText().equals("shadow"));
    assertThat(driver.findElement(state).getText()).isIn("enforcing", "promoted");
    checkPage("rollout-enforcing");

    // A proxy configuration: two versions with their diff, then a canary rollout to one proxy.
    open("#/policies");
    WebElement config = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("form[data-form=config-version]")));
    config.findElement(By.name("name")).sendKeys("edge-gw");
    String yaml = "listen: 127.0.0.1:8080\nroutes:\n  - { name: api, match: { prefix: / },"
        + " cluster: app }\nclusters:\n  app: { endpoints: [\"127.0.0.1:9000\"] }\n";
    config.findElement(By.name("body")).sendKeys(yaml);
    config.findElement(By.cssSelector("button[type=submit]")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("pre.body"),
        "127.0.0.1:9000"));
    config = driver.findElement(By.cssSelector("form[data-form=config-version]"));
    WebElement configDraft = config.findElement(By.name("body"));
    wait.until(d -> configDraft.getAttribute("value").contains("127.0.0.1:9000"));
    configDraft.sendKeys("idle_timeout: 30s\n");
    config.findElement(By.cssSelector("button[type=submit]")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("pre.diff .d-add"), "idle_timeout: 30s"));
    checkPage("config-version");

    driver.findElement(By.linkText("Start a canary rollout of this version")).click();
    WebElement canary = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("form[data-form=rollout]")));
    assertThat(canary.findElement(By.name("config")).getAttribute("value")).isEqualTo("edge-gw");
    assertThat(canary.findElement(By.name("enforce")).isDisplayed()).isFalse();
    canary.findElement(By.name("all")).click();
    canary.findElement(By.cssSelector("input[name=proxy]")).click();
    canary.findElement(By.cssSelector("button[type=submit]")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("[data-table=rollouts] tbody tr"), "config edge-gw v2"));
    assertThat(driver.findElement(By.cssSelector("[data-table=rollouts] tbody tr [data-state]"))
        .getText()).isEqualTo("enforcing");
    checkPage("rollout-canary");
  }

  @Test
  @Order(7)
  void anAdminCreatesAnAlertRuleFromTheUiAndDeletesIt() throws IOException {
    open("#/alerts");
    WebElement form = wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("form[data-form=new-rule]")));
    form.findElement(By.tagName("textarea")).sendKeys("{\"id\": \"cards-new-edge\", \"kind\":"
        + " \"new_category_on_edge\", \"category\": \"credit_card\"}");
    form.findElement(By.cssSelector("button[type=submit]")).click();

    By rows = By.cssSelector("#alert-rules tbody tr");
    wait.until(ExpectedConditions.numberOfElementsToBe(rows, 1));
    assertThat(driver.findElement(rows).getText())
        .contains("cards-new-edge", "new_category_on_edge", "credit_card", "ops");
    checkPage("alert-rule");
    driver.findElement(By.cssSelector("#alert-rules button[data-action=delete]")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#alert-rules .empty")));
    checkPage("alert-rule-deleted");
  }

  @Test
  @Order(8)
  void aReadOnlyCallerSeesNoWriteControls() throws IOException {
    ((JavascriptExecutor) driver).executeScript("sessionStorage.clear()");
    open("#/signin");
    WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    token.sendKeys(READ_TOKEN);
    token.submit();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#map-graph")));
    assertThat(driver.findElement(By.id("who")).getText()).contains("viewer", "read");

    for (String page : List.of("policies", "rollouts", "alerts")) {
      open("#/" + page);
      wait.until(ExpectedConditions.attributeToBe(By.id("page"), "data-page", page));
      settled();
      assertThat(driver.findElements(By.cssSelector("#page form.write"))).as(page).isEmpty();
      checkPage(page + "-read");
    }
  }

  @Test
  @Order(9)
  void aRefusedTokenSendsTheUserBackToSignIn() throws IOException {
    ((JavascriptExecutor) driver).executeScript(
        "sessionStorage.setItem('custos.token', 'revoked-token')");
    open("#/map");

    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    assertThat(driver.getCurrentUrl()).contains("#/signin");
    assertThat(driver.findElement(By.cssSelector("[data-error=unauthorized]")).getText())
        .contains("sign in again");
    checkPage("signin-expired");
  }
}
