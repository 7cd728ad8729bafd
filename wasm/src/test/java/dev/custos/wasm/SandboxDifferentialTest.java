package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;

/** The compiler and the interpreter agree on results and on traps. */
class SandboxDifferentialTest {
  private static final SimpleMeterRegistry REGISTRY = new SimpleMeterRegistry();
  private static final WasmModule ARITH = Wat.module("modules/arith.wat", true);
  private static final Sandbox COMPILED =
      Sandbox.builder(ARITH).meterRegistry(REGISTRY).build();
  private static final Sandbox INTERPRETED =
      Sandbox.builder(ARITH.interpreted()).meterRegistry(REGISTRY).build();

  private static String outcome(Sandbox sandbox, String export, long... args) {
    try {
      return Long.toString(sandbox.call(export, args)[0]);
    } catch (WasmCallException e) {
      return e.kind().name();
    }
  }

  @Property(tries = 300)
  void mixAgrees(@ForAll long a, @ForAll long b) {
    assertThat(outcome(COMPILED, "mix", a, b)).isEqualTo(outcome(INTERPRETED, "mix", a, b));
  }

  @Property(tries = 200)
  void collatzAgrees(@ForAll @LongRange(min = 0, max = 1_000_000) long n) {
    assertThat(outcome(COMPILED, "collatz", n)).isEqualTo(outcome(INTERPRETED, "collatz", n));
  }

  @Property(tries = 300)
  void signedDivisionAgreesIncludingTraps(@ForAll int a, @ForAll int b) {
    String compiled = outcome(COMPILED, "divs", a, b);
    assertThat(compiled).isEqualTo(outcome(INTERPRETED, "divs", a, b));
    if (b == 0 || (a == Integer.MIN_VALUE && b == -1)) {
      assertThat(compiled).isEqualTo("TRAP");
    }
  }
}
