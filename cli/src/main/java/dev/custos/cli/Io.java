package dev.custos.cli;

import java.io.InputStream;
import java.io.PrintStream;

/** The standard streams a command uses; injected so that tests can capture them. */
record Io(InputStream in, PrintStream out, PrintStream err) {}
