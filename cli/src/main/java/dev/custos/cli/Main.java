package dev.custos.cli;

import dev.custos.proxy.CustosProxy;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Entry point of the {@code custos} command. Exit codes: 0 no findings (or success), 1 findings
 * (or a failing policy test), 2 usage or configuration error.
 */
public final class Main {
  /** Exit code: nothing found, or the command succeeded. */
  public static final int OK = 0;
  /** Exit code: sensitive data found, or a policy test failed. */
  public static final int FOUND = 1;
  /** Exit code: a usage or configuration error (or a file that could not be scanned). */
  public static final int ERROR = 2;

  /** The subcommands, by name. */
  static final Set<String> COMMANDS =
      Set.of("scan", "detectors", "policy", "proxy", "ext-proc", "command", "demo");

  private Main() {}

  /** Runs the command and exits the JVM with its exit code. */
  public static void main(String[] args) {
    chooseLogFormat(args.length > 0 ? args[0] : "", System.getenv("CUSTOS_LOG_FORMAT"));
    if (args.length > 0 && COMMANDS.contains(args[0])) {
      // Every command but --help/--version reads the detector catalog: let a second core do it
      // while this one builds the command line.
      Thread preload = new Thread(dev.custos.engine.Scanner::preloadBuiltins, "custos-preload");
      preload.setDaemon(true);
      preload.start();
    }
    if (args.length > 0 && args[0].equals("proxy")) {
      // A process-wide Netty setting: chosen here, where the process is the proxy's, rather than
      // in the command, which tests also run inside a shared JVM.
      CustosProxy.disableLeakDetectionUnlessConfigured();
    }
    PrintStream out =
        new PrintStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
            false,
            StandardCharsets.UTF_8);
    int code = run(args, System.in, out, System.err);
    out.flush();
    System.exit(code);
  }

  /** The commands that run as services: their operational log is JSON lines on stderr. */
  static final Set<String> SERVICES = Set.of("proxy", "ext-proc", "command");

  /**
   * Chooses the log configuration before anything logs: JSON lines (logback-json.xml) for the
   * services unless {@code CUSTOS_LOG_FORMAT} is {@code text}, or with {@code CUSTOS_LOG_FORMAT=json}
   * for any command; short text lines (logback.xml) otherwise. A {@code logback.configurationFile}
   * given on the command line wins.
   */
  static void chooseLogFormat(String command, @Nullable String format) {
    if (System.getProperty("logback.configurationFile") != null) {
      return;
    }
    boolean json = "json".equalsIgnoreCase(format)
        || (SERVICES.contains(command) && !"text".equalsIgnoreCase(format));
    if (json) {
      System.setProperty("logback.configurationFile", "logback-json.xml");
    }
  }

  /** Runs the command with the given arguments, reading standard input from {@code System.in}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(args, System.in, out, err);
  }

  /** Runs the command with the given arguments and streams, and returns its exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    Io io = new Io(in, out, err);
    CommandLine cmd = commandLine(io, args.length > 0 && COMMANDS.contains(args[0]) ? args[0] : null);
    int code = cmd.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  static CommandLine commandLine(Io io) {
    return commandLine(io, null);
  }

  /**
   * Returns the command line with every subcommand, or only with {@code only}: picocli builds each
   * command's model by reflection, a tenth of a second that a run of one command need not pay.
   */
  static CommandLine commandLine(Io io, @Nullable String only) {
    CommandLine cmd = new CommandLine(new CustosCommand());
    if (only == null || only.equals("scan")) {
      cmd.addSubcommand(new ScanCommand(io));
    }
    if (only == null || only.equals("detectors")) {
      cmd.addSubcommand(new DetectorsCommand(io));
    }
    if (only == null || only.equals("policy")) {
      cmd.addSubcommand(
          new CommandLine(new PolicyCommand())
              .addSubcommand(new PolicyValidateCommand(io))
              .addSubcommand(new PolicyTestCommand(io)));
    }
    if (only == null || only.equals("proxy")) {
      cmd.addSubcommand(new ProxyCommand(io));
    }
    if (only == null || only.equals("ext-proc")) {
      cmd.addSubcommand(new ExtProcCommand(io));
    }
    if (only == null || only.equals("command")) {
      cmd.addSubcommand(new CommandPlaneCommand(io));
    }
    if (only == null || only.equals("demo")) {
      cmd.addSubcommand(new DemoCommand(io));
    }
    if (only == null) {
      // Picocli's bash/zsh completion script of the whole command tree: source <(custos completion)
      CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
      completion.getCommandSpec().usageMessage().hidden(false).description(
          "Prints a bash and zsh completion script for custos: source <(custos completion),",
          "or save it as /etc/bash_completion.d/custos.");
      cmd.addSubcommand("completion", completion);
    }
    cmd.setOut(new PrintWriter(new OutputStreamWriter(io.out(), StandardCharsets.UTF_8), true));
    cmd.setErr(new PrintWriter(new OutputStreamWriter(io.err(), StandardCharsets.UTF_8), true));
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.setParameterExceptionHandler(Main::onUsageError);
    cmd.setExecutionExceptionHandler(
        (e, command, parseResult) -> onFailure(e, command, parseResult, io.err()));
    return cmd;
  }

  private static int onUsageError(ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    PrintWriter err = command.getErr();
    err.println(
        "custos: " + oneLine(e.getMessage()) + " (see '" + command.getCommandSpec().qualifiedName() + " --help')");
    err.flush();
    return ERROR;
  }

  private static int onFailure(Exception e, CommandLine command, ParseResult parseResult, PrintStream err) {
    if (e instanceof ParameterException) {
      return onUsageError((ParameterException) e, new String[0]);
    }
    boolean expected = e instanceof CliException || Messages.isConfigurationError(e);
    boolean verbose = isVerbose(parseResult);
    String message = oneLine(Messages.of(e));
    if (!expected) {
      message = "internal error: " + message + (verbose ? "" : " (run with --verbose for details)");
    }
    err.println("custos: " + message);
    if (verbose) {
      e.printStackTrace(err);
    }
    err.flush();
    return ERROR;
  }

  private static boolean isVerbose(ParseResult parseResult) {
    for (ParseResult r = parseResult; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  static String oneLine(String message) {
    return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", "; ");
  }
}
