package dev.custos.proxy;

import static dev.custos.proxy.HostileProxy.SSN;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile-input family "smuggling": HTTP/1.1 requests whose framing is ambiguous or malformed
 * (Content-Length and Transfer-Encoding together, obfuscated Transfer-Encoding, duplicate or
 * signed Content-Length, obs-fold, bare LF, chunk-size overflow, pipelined requests hidden in a
 * body), each carrying an SSN in the part a desynchronised parser would take for a second request.
 * The request parser held against all of these in the hostile run; this class keeps it so: the
 * SSN never reaches the upstream (the suite's policy blocks SSNs in requests, whichever message
 * the proxy thinks they belong to), the proxy still serves, and no log, metric or event holds it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileSmugglingTest {
  /** The smuggled request: a complete POST whose JSON body holds the SSN. */
  private static final String SMUGGLED = "POST /smuggled HTTP/1.1\r\nHost: example.test\r\n"
      + "Content-Type: application/json\r\nContent-Length: 21\r\n\r\n{\"ssn\":\"" + SSN + "\"}";
  private static final String HEAD = "POST /front HTTP/1.1\r\nHost: example.test\r\n"
      + "Content-Type: text/plain\r\n";

  private Path dir;
  private HostileProxy proxy;

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory("hostile-smuggling");
    proxy = HostileProxy.start(dir);
  }

  @AfterAll
  void stop() {
    proxy.close();
  }

  /** One hostile byte sequence, named for the report. */
  record Case(String name, String bytes) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static String chunked(String body) {
    return Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
  }

  Stream<Case> hostileRequests() {
    String terminator = "0\r\n\r\n";
    int clTe = (terminator + SMUGGLED).length();
    return Stream.of(
        new Case("CL.TE: Content-Length covers a smuggled request after the last chunk",
            HEAD + "Content-Length: " + clTe + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                + terminator + SMUGGLED),
        new Case("TE.CL: a chunk holds the smuggled request, Content-Length says 4",
            HEAD + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(SMUGGLED)),
        new Case("Transfer-Encoding: xchunked",
            HEAD + "Content-Length: 5\r\nTransfer-Encoding: xchunked\r\n\r\nhello" + SMUGGLED),
        new Case("space before the colon of Transfer-Encoding",
            HEAD + "Content-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n" + chunked(SMUGGLED)),
        new Case("tab before chunked",
            HEAD + "Content-Length: 5\r\nTransfer-Encoding:\tchunked\r\n\r\n" + chunked(SMUGGLED)),
        new Case("two Transfer-Encoding lines, chunked then identity",
            HEAD + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n"
                + chunked(SMUGGLED)),
        new Case("Transfer-Encoding: identity, chunked with a Content-Length",
            HEAD + "Content-Length: 5\r\nTransfer-Encoding: identity, chunked\r\n\r\n"
                + chunked(SMUGGLED)),
        new Case("Transfer-Encoding: CHUNKED in capitals",
            HEAD + "Content-Length: 5\r\nTransfer-Encoding: CHUNKED\r\n\r\n" + chunked(SMUGGLED)),
        new Case("duplicate Content-Length with different values",
            HEAD + "Content-Length: 5\r\nContent-Length: " + (5 + SMUGGLED.length()) + "\r\n\r\n"
                + "hello" + SMUGGLED),
        new Case("Content-Length list with different values",
            HEAD + "Content-Length: 5, " + (5 + SMUGGLED.length()) + "\r\n\r\nhello" + SMUGGLED),
        new Case("Content-Length with a space inside",
            HEAD + "Content-Length: 1 0\r\n\r\nhelloworld" + SMUGGLED),
        new Case("Content-Length with a plus sign",
            HEAD + "Content-Length: +5\r\n\r\nhello" + SMUGGLED),
        new Case("negative Content-Length",
            HEAD + "Content-Length: -1\r\n\r\n" + SMUGGLED),
        new Case("hexadecimal Content-Length",
            HEAD + "Content-Length: 0x05\r\n\r\nhello" + SMUGGLED),
        new Case("obs-fold hides Transfer-Encoding in a folded line",
            HEAD + "X-Fold: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                + "hello" + SMUGGLED),
        new Case("bare LF line endings",
            (HEAD + "Content-Length: 5\r\n\r\nhello" + SMUGGLED).replace("\r\n", "\n")),
        new Case("bare CR in a header value",
            HEAD + "X-A: a\rTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello"
                + SMUGGLED),
        new Case("chunk size overflowing 64 bits",
            HEAD + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n" + SMUGGLED),
        new Case("negative chunk size",
            HEAD + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
        new Case("chunk extensions, then a pipelined request",
            HEAD + "Transfer-Encoding: chunked\r\n\r\n5;name=\"v\";x\r\nhello\r\n0;end\r\n\r\n"
                + SMUGGLED),
        new Case("chunk size with trailing garbage",
            HEAD + "Transfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n" + SMUGGLED),
        new Case("a GET whose Content-Length body is the smuggled request",
            "GET /front HTTP/1.1\r\nHost: example.test\r\nContent-Length: " + SMUGGLED.length()
                + "\r\n\r\n" + SMUGGLED),
        new Case("plain pipelining: a harmless GET, then the request",
            "GET /front HTTP/1.1\r\nHost: example.test\r\n\r\n" + SMUGGLED),
        new Case("HTTP/1.0 with Transfer-Encoding: chunked",
            HEAD.replace("HTTP/1.1", "HTTP/1.0") + "Transfer-Encoding: chunked\r\n"
                + "Content-Length: 5\r\n\r\n" + chunked(SMUGGLED)),
        new Case("request line with two spaces and an absolute URI",
            "POST  http://example.test/front  HTTP/1.1\r\nHost: example.test\r\n"
                + "Content-Length: 5\r\n\r\nhello" + SMUGGLED),
        new Case("Content-Length shorter than the body, the rest a request with a bare LF",
            HEAD + "Content-Length: 5\r\n\r\nhello" + SMUGGLED.replace("\r\n", "\n")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileRequests")
  void theSmuggledSsnNeverReachesTheUpstream(Case c) {
    String answer = RawHttp1Client.exchange(proxy.port(), c.bytes());
    assertThat(answer).as(c.name()).doesNotContain(SSN);
    proxy.assertStillServes();
    proxy.assertNeverLeaked(SSN);
  }
}
