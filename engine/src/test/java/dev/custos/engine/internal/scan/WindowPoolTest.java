package dev.custos.engine.internal.scan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.Policy;
import dev.custos.engine.ScanResult;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class WindowPoolTest {
  private static final Scanner SCANNER =
      Scanner.builder(Policy.ofDefault()).backend(Backend.JAVA).evidenceKey(EvidenceKey.of(new byte[32])).build();

  @AfterAll
  static void close() {
    SCANNER.close();
  }

  @Test
  void aClosedStreamsWindowServesTheThreadsNextStream() {
    byte[] window = WindowPool.take();
    WindowPool.give(window);
    assertThat(WindowPool.take()).isSameAs(window);
    assertThat(WindowPool.take()).isNotSameAs(window);
  }

  @Test
  void aClosedStreamsRegionsServeTheThreadsNextStreamReset() {
    WindowPool.Regions regions = WindowPool.takeRegions(3);
    // A stream touches a detector's entries as its first region opens, then changes them.
    regions.touch(2);
    regions.touch(0);
    regions.pos[2] = 42;
    regions.end[2] = 99;
    regions.end[0] = 5;
    regions.state[0] = 7;
    WindowPool.giveRegions(regions);
    WindowPool.Regions again = WindowPool.takeRegions(3);
    assertThat(again).isSameAs(regions);
    assertThat(again.pos).containsOnly(0L);
    assertThat(again.end).containsOnly(0L);
    assertThat(again.state).containsOnly(-1);
    assertThat(again.touchedCount).as("a reset stream has touched nothing").isZero();
    assertThat(WindowPool.takeRegions(3)).isNotSameAs(regions);
    WindowPool.giveRegions(again);
    // A scanner with another detector count gets arrays of its own length.
    assertThat(WindowPool.takeRegions(4).pos).hasSize(4);
  }

  @Test
  void aStreamOpenedWhileAnotherIsOpenGetsRegionsOfItsOwn() throws Exception {
    // An open stream's keyword regions must survive a second stream opened and closed on the
    // same thread: the first still finds the SSN its keyword announced.
    try (StreamScanner first = SCANNER.newStream(ContentType.JSON)) {
      List<Finding> found = new ArrayList<>(first.feed(utf8("{\"ssn\":"), 0, 7));
      SCANNER.scan(utf8("{\"ssn\":\"219-09-9999\", \"email\":\"a.b@example.com\"}"), ContentType.JSON);
      found.addAll(first.feed(utf8("\"078-05-1120\"}"), 0, 14));
      found.addAll(first.finish());
      ScanResult whole = SCANNER.scan(utf8("{\"ssn\":\"078-05-1120\"}"), ContentType.JSON);
      assertThat(found).isEqualTo(whole.findings());
    }
  }

  @Test
  void aClosedStreamRefusesInputInsteadOfTouchingAWindowItGaveBack() {
    StreamScanner stream = SCANNER.newStream(ContentType.JSON);
    stream.feed(utf8("{\"ssn\":"), 0, 7);
    stream.close();
    try (StreamScanner next = SCANNER.newStream(ContentType.JSON)) {
      assertThatThrownBy(() -> stream.feed(utf8("\"078-05-1120\"}"), 0, 14))
          .isInstanceOf(IllegalStateException.class);
      next.feed(utf8("{\"a\":1}"), 0, 7);
      assertThat(next.finish()).isEmpty();
    }
  }

  @Test
  void aReusedWindowHoldingAnEarlierMessageChangesNoResult() throws Exception {
    String earlier = "{\"notes\":\"" + "4111 1111 1111 1111 jane.doe@example.com 078-05-1120 ".repeat(150) + "\"}";
    String[] messages = {
      "{\"ssn\":\"078-05-1120\"}", "card 4111111111111111", "{\"email\":\"jane.doe@example.com\",\"n\":123}",
      "{\"a\":\"078-05-11", "{\"t\":\"x\"}",
    };
    for (String message : messages) {
      for (ContentType type : ContentType.values()) {
        // A new thread has no window kept: its scan is the reference.
        ExecutorService fresh = Executors.newSingleThreadExecutor();
        ScanResult reference;
        try {
          reference = fresh.submit(() -> SCANNER.scan(utf8(message), type)).get();
        } finally {
          fresh.shutdown();
        }
        SCANNER.scan(utf8(earlier), type);
        ScanResult again = SCANNER.scan(utf8(message), type);
        assertThat(again.findings()).as(message).isEqualTo(reference.findings());
        assertThat(again.notes()).as(message).isEqualTo(reference.notes());
      }
    }
  }

  @Test
  void aClosedStreamsScratchServesTheThreadsNextStreamUnlessItGrewPastTheBound() {
    WindowPool.Kept kept = WindowPool.kept();
    WindowPool.Scratch scratch = kept.takeScratch();
    kept.giveScratch(scratch);
    assertThat(kept.takeScratch()).isSameAs(scratch);
    assertThat(kept.takeScratch()).as("taken: the pool is empty").isNotSameAs(scratch);
    scratch.eventEnd = new long[WindowPool.MAX_KEPT_ELEMENTS + 1];
    kept.giveScratch(scratch);
    assertThat(kept.takeScratch()).as("grown past the bound: dropped").isNotSameAs(scratch);
  }

  @Test
  void aTextDecodersArraysServeTheThreadsNextDecoderUnlessTheyGrewPastTheBound() {
    WindowPool.Kept kept = WindowPool.kept();
    WindowPool.TextScratch scratch = kept.takeText();
    kept.giveText(scratch);
    assertThat(kept.takeText()).isSameAs(scratch);
    scratch.out = new byte[WindowPool.MAX_KEPT + 1];
    kept.giveText(scratch);
    assertThat(kept.takeText()).as("grown past the bound: dropped").isNotSameAs(scratch);
  }

  @Test
  void aJsonTrackersArraysServeTheThreadsNextTrackerWithoutTheNamesTheyHeld() {
    JsonTracker first = new JsonTracker(256, 1 << 20);
    byte[] doc = utf8("{\"customer\":{\"ssn\":\"078-05-1120\"}}");
    // Every token wanted: names decoded and paths built.
    first.feed(doc, 0, doc.length, from -> from + 1);
    JsonTracker.Token ssn = first.find(doc.length - 6, doc.length - 4);
    assertThat(ssn).isNotNull();
    assertThat(ssn.key).isEqualTo("ssn");
    first.release();
    first.release();
    WindowPool.JsonScratch kept = WindowPool.kept().takeJson();
    assertThat(kept.nameText).containsOnlyNulls();
    assertThat(kept.pathText).containsOnlyNulls();
    assertThat(WindowPool.kept().takeJson()).as("released twice, kept once").isNotSameAs(kept);
    WindowPool.kept().giveJson(kept);
  }

  @Test
  void aStreamAfterOneThatGrewEveryScratchArrayFindsWhatAFreshThreadFinds() throws Exception {
    // Nested deeper than 16 levels, names longer than 256 bytes, more than 64 candidates, escapes
    // decoded: every scratch array of the earlier stream grows, and the next stream takes them as
    // it left them.
    StringBuilder earlier = new StringBuilder();
    for (int d = 0; d < 40; d++) {
      earlier.append("{\"").append("level".repeat(d + 10)).append(d).append("\":");
    }
    earlier.append("[");
    for (int k = 0; k < 300; k++) {
      earlier.append(k == 0 ? "" : ",").append("\"ssn 078-05-1120 card 4111111111111111 \\u0061").append(k).append("@example.com\"");
    }
    earlier.append("]").append("}".repeat(40));
    String[] messages = {
      "{\"user\":{\"ssn\":\"078-05-1120\",\"emails\":[\"jane.doe@example.com\",\"x@example.org\"]}}",
      "[{\"a\":{\"b\":[1,2,{\"card\":\"4111111111111111\"}]}}]",
      "{\"ssn\":\"078-05-11",
      "{\"note\":\"email: jane\\u002edoe@example.com \\\"ssn\\\" 078-05-1120\"}",
    };
    for (String message : messages) {
      ExecutorService fresh = Executors.newSingleThreadExecutor();
      ScanResult reference;
      try {
        reference = fresh.submit(() -> SCANNER.scan(utf8(message), ContentType.JSON)).get();
      } finally {
        fresh.shutdown();
      }
      assertThat(SCANNER.scan(utf8(earlier.toString()), ContentType.JSON).findings()).hasSizeGreaterThan(64);
      ScanResult again = SCANNER.scan(utf8(message), ContentType.JSON);
      assertThat(again.findings()).as(message).isEqualTo(reference.findings());
      assertThat(again.notes()).as(message).isEqualTo(reference.notes());
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
