package dev.custos.bench;

import dev.custos.engine.ContentType;
import dev.custos.engine.ScanResult;
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
 * A 4 MiB corpus scanned with the default policy: at once ({@link Scanner#scan(byte[],
 * ContentType)}), and through a {@link StreamScanner} in 16 KiB chunks, as a proxy feeds a body.
 * One op = one 4 MiB scan on one thread: MB/s per core = ops/s × 4.194304.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
@State(Scope.Benchmark)
public class ScanBenchmark {
  @Param({"java", "hyperscan"})
  public String backend;

  @Param({"text", "json", "form"})
  public String content;

  private Scanner scanner;
  private byte[] payload;
  private ContentType type;

  @Setup(Level.Trial)
  public void setUp() {
    scanner = Payloads.scanner(backend);
    payload = Payloads.of(content);
    type = Payloads.contentType(content);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    scanner.close();
  }

  @Benchmark
  public ScanResult scan() {
    return scanner.scan(payload, type);
  }

  @Benchmark
  public void stream(Blackhole bh) {
    try (StreamScanner stream = scanner.newStream(type)) {
      for (int off = 0; off < payload.length; off += Payloads.CHUNK) {
        bh.consume(stream.feed(payload, off, Math.min(Payloads.CHUNK, payload.length - off)));
      }
      bh.consume(stream.finish());
    }
  }
}
