package dev.custos.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the custos command in-process with captured streams. */
final class Cli {
  record Result(int code, String out, String err, byte[] outBytes) {
    String all() {
      return out + "\n" + err;
    }
  }

  private Cli() {}

  static Result run(String... args) {
    return runWithStdin(new byte[0], args);
  }

  /** Runs {@code custos scan --policy <policy> <args>}. */
  static Result scan(Path policy, String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "scan";
    all[1] = "--policy";
    all[2] = policy.toString();
    System.arraycopy(args, 0, all, 3, args.length);
    return run(all);
  }

  /** Writes {@code content} as UTF-8 to {@code dir/name}, creating parent directories. */
  static Path write(Path dir, String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content, StandardCharsets.UTF_8);
    return file;
  }

  static Result runWithStdin(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = Main.run(args, new ByteArrayInputStream(stdin), o, e);
    }
    return new Result(
        code,
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8),
        out.toByteArray());
  }
}
