package dev.custos.bench;

import dev.custos.engine.Backend;
import dev.custos.engine.ContentType;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;

/**
 * The fixed inputs every benchmark shares: 4 MiB corpora from fixed seeds, and the scanner
 * factory. One benchmark operation processes one whole payload, so MB/s = ops/s × {@link
 * #MEGABYTES} (MB = 10^6 bytes).
 */
final class Payloads {
  /** Bytes per payload: 4 MiB. */
  static final int SIZE = 4 << 20;
  /** Payload size in MB (10^6 bytes), to turn ops/s into MB/s. */
  static final double MEGABYTES = SIZE / 1e6;
  /** Chunk size for the streaming benchmarks: 16 KiB. */
  static final int CHUNK = 16 << 10;
  static final long SEED = 20240301L;

  private Payloads() {}

  /**
   * Returns the payload for a content parameter: {@code text}, {@code json}, {@code jsonl},
   * {@code form} ({@code application/x-www-form-urlencoded}) or {@code protobuf} (one message of
   * text-corpus records, {@link Corpus#protobuf}).
   */
  static byte[] of(String content) {
    return switch (content) {
      case "text" -> Corpus.text(SIZE, SEED);
      case "json" -> Corpus.json(SIZE, SEED);
      case "jsonl" -> Corpus.jsonLines(SIZE, SEED);
      case "form" -> Corpus.form(SIZE, SEED);
      case "protobuf" -> Corpus.protobuf(SIZE, SEED);
      default -> throw new IllegalArgumentException(
          "content: " + content + " (expected: text, json, jsonl, form or protobuf)");
    };
  }

  static ContentType contentType(String content) {
    return switch (content) {
      case "text" -> ContentType.TEXT;
      case "form" -> ContentType.FORM;
      case "protobuf" -> ContentType.PROTOBUF;
      default -> ContentType.JSON;
    };
  }

  /**
   * Compiles the default policy for a backend parameter ({@code java} or {@code hyperscan}).
   *
   * @throws IllegalStateException naming the backend when it cannot load on this machine
   */
  static Scanner scanner(String backend) {
    Backend b = Backend.ofId(backend);
    Scanner scanner;
    try {
      scanner = Scanner.builder(Policy.ofDefault()).backend(b).evidenceKey(EvidenceKey.of(new byte[32])).build();
    } catch (IllegalStateException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("backend " + backend + " is not available on this machine; skip it", e);
    }
    if (scanner.backend() != b) {
      scanner.close();
      throw new IllegalStateException("backend " + backend + " is not available on this machine; skip it");
    }
    return scanner;
  }
}
