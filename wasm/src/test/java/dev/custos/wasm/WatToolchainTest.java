package dev.custos.wasm;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wabt.Wat2Wasm;
import com.dylibso.chicory.wasm.Parser;
import org.junit.jupiter.api.Test;

/** The test toolchain: WebAssembly text compiled by Chicory's wabt runs on the 1.7.5 runtime. */
class WatToolchainTest {
  @Test
  void watCompiledAtTestTimeRunsOnTheRuntime() {
    byte[] wasm = Wat2Wasm.parse("""
        (module
          (func (export "add") (param i32 i32) (result i32)
            local.get 0
            local.get 1
            i32.add))
        """);
    Instance instance = Instance.builder(Parser.parse(wasm)).build();
    assertThat(instance.export("add").apply(2, 40)[0]).isEqualTo(42L);
  }
}
