package dev.custos.wasm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wabt.Wat2Wasm;
import dev.custos.engine.Backend;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Finding;
import dev.custos.engine.PluginDetector;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.PluginDetectorException;
import dev.custos.engine.PluginMatch;
import dev.custos.engine.Policy;
import dev.custos.engine.ScanNote;
import dev.custos.engine.ScanResult;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import dev.custos.engine.ContentType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WebAssembly detectors of the Custos detector ABI v1: the examples, hostile modules, the ABI checks. */
class WasmDetectorTest {
  private static final String PROJECT = "internal_project_code";

  @TempDir Path dir;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final WasmDetectors detectors = WasmDetectors.builder().meterRegistry(registry).build();

  private static PluginDetectorDefinition.Builder definition(String category, Path module) {
    return PluginDetectorDefinition.builder(category + ".1", category, module).timeoutMillis(200);
  }

  private Path wat(String name, String text) throws IOException {
    Path file = dir.resolve(name + ".wasm");
    Files.write(file, Wat2Wasm.parse(text));
    return file;
  }

  /** A module of the ABI whose detect body is {@code detect}; memory 2 pages, alloc returns 1024. */
  private Path detector(String name, String detect) throws IOException {
    return wat(name, "(module (memory (export \"memory\") 2)"
        + " (func (export \"custos_detector_abi_v1\"))"
        + " (func (export \"alloc\") (param i32) (result i32) (i32.const 1024))"
        + " (func (export \"detect\") (param $ptr i32) (param $len i32) (result i32) " + detect
        + "))");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  private static List<String> values(String text, List<PluginMatch> matches) {
    byte[] b = bytes(text);
    List<String> out = new ArrayList<>();
    for (PluginMatch m : matches) {
      out.add(new String(b, m.start(), m.end() - m.start(), UTF_8));
    }
    return out;
  }

  @Test
  void watExampleFindsProjectCodesOnWordBoundaries() throws Exception {
    var d = definition(PROJECT, WasmDetectorExamplesTest.WAT_WASM)
        .sha256(WasmDetectorExamplesTest.sha256(WasmDetectorExamplesTest.WAT_WASM)).build();
    String text = "PRJ-004512, XPRJ-123456 PRJ-1234567 PRJ-12345 (PRJ-771204)PRJ-000001 PRJ-00000a";
    try (PluginDetector p = detectors.create(d)) {
      List<PluginMatch> found = p.detect(bytes("xx" + text), 2, text.length());
      assertThat(values(text, found)).containsExactly("PRJ-004512", "PRJ-771204", "PRJ-000001");
      assertThat(found).allSatisfy(m -> {
        assertThat(m.score()).isEqualTo(PluginMatch.UNSPECIFIED);
        assertThat(m.category()).isNull();
      });
      assertThat(p.detect(new byte[0], 0, 0)).isEmpty();
    }
  }

  @Test
  void assemblyScriptExampleFindsEmployeeIdsWithValidCheckDigits() throws Exception {
    var d = definition("employee_id", WasmDetectorExamplesTest.AS_WASM)
        .sha256(WasmDetectorExamplesTest.sha256(WasmDetectorExamplesTest.AS_WASM)).build();
    String text = "EMP12342 EMP12345 EMP50713,EMP507130 xEMP50713 EMP99999 EMP99998";
    try (PluginDetector p = detectors.create(d)) {
      List<PluginMatch> found = p.detect(bytes(text), 0, text.length());
      assertThat(values(text, found)).containsExactly("EMP12342", "EMP50713", "EMP99998");
      assertThat(found).allSatisfy(m -> {
        assertThat(m.score()).isEqualTo(95);
        assertThat(m.category()).isEqualTo("employee_id");
      });
    }
  }

  @Test
  void watExampleAgreesWithAJavaReferenceOnRandomText() throws Exception {
    var d = definition(PROJECT, WasmDetectorExamplesTest.WAT_WASM).build();
    Random random = new Random(47);
    String[] parts = {"PRJ-", "PRJ-0", "1", "23456", "7", " ", "x", "_", "-", "\n", "PRJ-654321"};
    try (PluginDetector p = detectors.create(d)) {
      for (int round = 0; round < 300; round++) {
        StringBuilder sb = new StringBuilder();
        int n = random.nextInt(40);
        for (int i = 0; i < n; i++) {
          sb.append(parts[random.nextInt(parts.length)]);
        }
        byte[] b = bytes(sb.toString());
        assertThat(p.detect(b, 0, b.length)).as("%s", sb).isEqualTo(JavaProjectCodes.find(b, 0, b.length));
      }
    }
  }

  @Test
  void scannerFindsTheSameWhateverTheChunking() throws Exception {
    Policy policy = Policy.parse(WasmDetectorExamplesTest.POLICY);
    String text = Files.readString(Path.of("../examples/wasm/samples/handover.txt"));
    try (Scanner scanner = Scanner.builder(policy).backend(Backend.JAVA)
        .evidenceKey(EvidenceKey.of(new byte[32])).pluginDetectors(detectors).build()) {
      ScanResult whole = scanner.scan(bytes(text), ContentType.TEXT);
      assertThat(whole.notes()).isEmpty();
      assertThat(whole.findings()).filteredOn(f -> f.category().equals(PROJECT)).hasSize(2);
      assertThat(whole.findings()).filteredOn(f -> f.category().equals("employee_id")).hasSize(2);
      List<Finding> chunked = new ArrayList<>();
      byte[] b = bytes(text);
      try (StreamScanner s = scanner.newStream(ContentType.TEXT)) {
        for (int i = 0; i < b.length; i++) {
          chunked.addAll(s.feed(b, i, 1));
        }
        chunked.addAll(s.finish());
        assertThat(s.notes()).isEmpty();
      }
      assertThat(chunked.stream().map(f -> f.category() + "@" + f.start() + "-" + f.end()).toList())
          .containsExactlyInAnyOrderElementsOf(
              whole.findings().stream().map(f -> f.category() + "@" + f.start() + "-" + f.end()).toList());
    }
  }

  @Test
  void detectorIsSharedByThreads() throws Exception {
    var d = definition(PROJECT, WasmDetectorExamplesTest.WAT_WASM).build();
    String text = "a PRJ-123456 b ".repeat(500);
    byte[] b = bytes(text);
    try (PluginDetector p = detectors.create(d)) {
      List<Thread> threads = new ArrayList<>();
      List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int t = 0; t < 4; t++) {
        Thread thread = new Thread(() -> {
          try {
            for (int i = 0; i < 50; i++) {
              assertThat(p.detect(b, 0, b.length)).hasSize(500);
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        });
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      assertThat(errors).isEmpty();
    }
  }

  @Test
  void spinningDetectorTimesOutAndTheNextCallWorks() throws Exception {
    Path m = detector("spin", "(if (i32.eq (local.get $len) (i32.const 4))"
        + " (then (loop $l (br $l)))) (i32.const 2048)");
    try (PluginDetector p = detectors.create(
        definition(PROJECT, m).timeoutMillis(20).build())) {
      assertThatThrownBy(() -> p.detect(bytes("spin"), 0, 4))
          .isInstanceOfSatisfying(PluginDetectorException.class, e -> {
            assertThat(e.kind()).isEqualTo("timeout");
            assertThat(e.detectorId()).isEqualTo(PROJECT + ".1");
          });
      assertThat(p.detect(bytes("ok"), 0, 2)).isEmpty();
    }
    assertThat(registry.get("custos.wasm.errors").tag("module", "spin").tag("kind", "timeout")
        .counter().count()).isEqualTo(1);
  }

  @Test
  void trappingDetectorFailsWithTrap() throws Exception {
    Path m = detector("trap", "unreachable");
    try (PluginDetector p = detectors.create(definition(PROJECT, m).build())) {
      assertThatThrownBy(() -> p.detect(bytes("secret PRJ-123456"), 0, 17))
          .isInstanceOfSatisfying(PluginDetectorException.class, e -> {
            assertThat(e.kind()).isEqualTo("trap");
            assertThat(e).hasMessageNotContaining("PRJ-123456");
          });
    }
  }

  @Test
  void resultsOutsideMemoryAreAbiErrors() throws Exception {
    Path m = detector("badptr", "(i32.const -16)");
    try (PluginDetector p = detectors.create(definition(PROJECT, m).build())) {
      assertThatThrownBy(() -> p.detect(bytes("abc"), 0, 3))
          .isInstanceOfSatisfying(PluginDetectorException.class,
              e -> assertThat(e.kind()).isEqualTo("abi"));
    }
    assertThat(registry.get("custos.wasm.errors").tag("module", "badptr").tag("kind", "abi")
        .counter().count()).isEqualTo(1);
  }

  /** A detector whose match list at 2048 is count, start, end, score, category. */
  private PluginDetector reporting(String name, int count, int start, int end, int score,
      int category) throws IOException {
    Path m = detector(name, "(i32.store (i32.const 2048) (i32.const " + count + "))"
        + " (i32.store (i32.const 2052) (i32.const " + start + "))"
        + " (i32.store (i32.const 2056) (i32.const " + end + "))"
        + " (i32.store (i32.const 2060) (i32.const " + score + "))"
        + " (i32.store (i32.const 2064) (i32.const " + category + "))"
        + " (i32.const 2048)");
    return detectors.create(definition(PROJECT, m).build());
  }

  @Test
  void malformedMatchListsAreAbiErrors() throws Exception {
    byte[] b = bytes("0123456789");
    int[][] bad = {
        {11, 0, 1, -1, -1}, // more matches than bytes
        {-1, 0, 1, -1, -1}, // negative count
        {1, 0, 11, -1, -1}, // ends past the window
        {1, 5, 5, -1, -1}, // empty
        {1, -1, 3, -1, -1}, // starts before the window
        {1, 0, 3, 101, -1}, // score out of range
        {1, 0, 3, -1, 0}, // category index without a list
    };
    for (int[] r : bad) {
      try (PluginDetector p = reporting("bad", r[0], r[1], r[2], r[3], r[4])) {
        assertThatThrownBy(() -> p.detect(b, 0, b.length))
            .as("%s", java.util.Arrays.toString(r))
            .isInstanceOfSatisfying(PluginDetectorException.class,
                e -> assertThat(e.kind()).isEqualTo("abi"));
      }
    }
    try (PluginDetector p = reporting("good", 1, 2, 5, 40, -1)) {
      assertThat(p.detect(b, 0, b.length)).containsExactly(PluginMatch.of(2, 5, 40));
    }
  }

  @Test
  void hostileDetectorsUnderTheScannerFollowOnError() throws Exception {
    Path m = detector("trap2", "unreachable");
    for (var onError : PluginDetectorDefinition.OnError.values()) {
      Policy.Builder b = Policy.builder()
          .pluginDetector(definition(PROJECT, m).onError(onError).build());
      Policy.ofDefault().detectors().stream().map(DetectorDefinition::category).distinct()
          .forEach(b::disable);
      Policy policy = b.build();
      try (Scanner scanner = Scanner.builder(policy).backend(Backend.JAVA)
          .pluginDetectors(detectors).build()) {
        ScanResult r = scanner.scan(bytes("PRJ-123456"), ContentType.TEXT);
        assertThat(r.findings()).isEmpty();
        assertThat(r.notes()).contains(ScanNote.PLUGIN_ERROR);
        assertThat(r.notes().contains(ScanNote.PLUGIN_ERROR_BLOCK))
            .isEqualTo(onError == PluginDetectorDefinition.OnError.BLOCK);
      }
    }
  }

  @Test
  void modulesThatAreNotDetectorsAreRefusedAtLoad() throws Exception {
    Path noMarker = wat("nomarker", "(module (memory (export \"memory\") 1)"
        + " (func (export \"alloc\") (param i32) (result i32) (i32.const 0))"
        + " (func (export \"detect\") (param i32 i32) (result i32) (i32.const 0)))");
    Path wrongType = wat("wrongtype", "(module (memory (export \"memory\") 1)"
        + " (func (export \"custos_detector_abi_v1\"))"
        + " (func (export \"alloc\") (param i32) (result i32) (i32.const 0))"
        + " (func (export \"detect\") (param i32) (result i32) (i32.const 0)))");
    Path noMemory = wat("nomemory", "(module"
        + " (func (export \"custos_detector_abi_v1\"))"
        + " (func (export \"alloc\") (param i32) (result i32) (i32.const 0))"
        + " (func (export \"detect\") (param i32 i32) (result i32) (i32.const 0)))");
    Path imports = wat("imports", "(module (import \"wasi_snapshot_preview1\" \"fd_write\""
        + " (func (param i32 i32 i32 i32) (result i32))) (memory (export \"memory\") 1)"
        + " (func (export \"custos_detector_abi_v1\"))"
        + " (func (export \"alloc\") (param i32) (result i32) (i32.const 0))"
        + " (func (export \"detect\") (param i32 i32) (result i32) (i32.const 0)))");
    for (Path m : List.of(noMarker, wrongType, noMemory)) {
      assertThatThrownBy(() -> detectors.create(definition(PROJECT, m).build()))
          .as("%s", m.getFileName())
          .isInstanceOfSatisfying(PluginDetectorException.class,
              e -> assertThat(e.kind()).isEqualTo("abi"));
    }
    assertThatThrownBy(() -> detectors.create(definition(PROJECT, imports).build()))
        .isInstanceOfSatisfying(PluginDetectorException.class,
            e -> assertThat(e.kind()).isEqualTo("link"));
    assertThatThrownBy(() -> detectors.create(definition(PROJECT, dir.resolve("none.wasm")).build()))
        .isInstanceOfSatisfying(PluginDetectorException.class,
            e -> assertThat(e.kind()).isEqualTo("load"));
    assertThatThrownBy(() -> detectors.create(definition(PROJECT, noMarker)
            .sha256("0".repeat(64)).build()))
        .isInstanceOfSatisfying(PluginDetectorException.class,
            e -> assertThat(e.kind()).isEqualTo("hash_mismatch"));
  }

  @Test
  void categoryListMustBeAllowedByThePolicy() {
    var employee = definition("employee_id", WasmDetectorExamplesTest.AS_WASM);
    try (PluginDetector p = detectors.create(employee.build())) {
      assertThat(p).isNotNull();
    }
    var elsewhere = PluginDetectorDefinition.builder("staff.1", "staff_number",
        WasmDetectorExamplesTest.AS_WASM).timeoutMillis(200);
    assertThatThrownBy(() -> detectors.create(elsewhere.build()))
        .isInstanceOfSatisfying(PluginDetectorException.class, e -> {
          assertThat(e.kind()).isEqualTo("abi");
          assertThat(e).hasMessageContaining("employee_id");
        });
    try (PluginDetector p = detectors.create(PluginDetectorDefinition.builder("staff.1",
        "staff_number", WasmDetectorExamplesTest.AS_WASM).timeoutMillis(200)
        .categories(List.of("employee_id")).build())) {
      assertThat(p.detect(bytes("EMP12342"), 0, 8))
          .containsExactly(PluginMatch.of(0, 8, 95, "employee_id"));
    }
  }
}
