package dev.custos.cli;

/** Entry point of the {@code custos} command. (Work in progress.) */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.err.println("custos: not built yet");
    System.exit(2);
  }
}
