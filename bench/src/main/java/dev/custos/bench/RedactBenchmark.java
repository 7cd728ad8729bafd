package dev.custos.bench;

import dev.custos.engine.ContentType;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.Scanner;
import dev.custos.engine.StreamScanner;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * A redacting stream ({@link RedactionStyle#MASK}) over the 4 MiB JSON corpus in 16 KiB chunks,
 * the redacted bytes copied into a reused buffer. One op = one 4 MiB body: MB/s per core = ops/s ×
 * 4.194304.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class RedactBenchmark {
  @Param({"java", "hyperscan"})
  public String backend;

  private Scanner scanner;
  private byte[] payload;
  private byte[] sink;
  private int written;

  @Setup(Level.Trial)
  public void setUp() {
    scanner = Payloads.scanner(backend);
    payload = Payloads.of("json");
    sink = new byte[payload.length];
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    scanner.close();
  }

  @Benchmark
  public int redact(Blackhole bh) {
    written = 0;
    try (StreamScanner stream =
        scanner.newRedactingStream(ContentType.JSON, RedactionStyle.MASK, this::write)) {
      for (int off = 0; off < payload.length; off += Payloads.CHUNK) {
        bh.consume(stream.feed(payload, off, Math.min(Payloads.CHUNK, payload.length - off)));
      }
      bh.consume(stream.finish());
    }
    if (written != payload.length) {
      throw new IllegalStateException("mask changed the length: " + written + " (expected: " + payload.length + ")");
    }
    return written;
  }

  private void write(byte[] bytes, int offset, int length) {
    System.arraycopy(bytes, offset, sink, written, length);
    written += length;
  }
}
