package dev.custos.wasm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.dylibso.chicory.wabt.Wat2Wasm;
import org.junit.jupiter.api.Test;

/** The same module bytes, loaded for several routes or plugins, are parsed and compiled once. */
class CompiledOnceTest {
  private static final byte[] MODULE =
      Wat2Wasm.parse("(module (func (export \"answer\") (result i32) (i32.const 42)))");

  @Test
  void sameBytesShareOneCompiledModuleUnderTheirOwnNames() {
    LoadedModule a = LoadedModule.of("route-a", MODULE, false);
    LoadedModule b = LoadedModule.of("route-b", MODULE, false);
    assertThat(b.parsed()).isSameAs(a.parsed());
    assertThat(b.machineFactory()).isSameAs(a.machineFactory());
    assertThat(a.name()).isEqualTo("route-a");
    assertThat(b.name()).isEqualTo("route-b");
  }

  @Test
  void theInterpreterChoiceAndOtherBytesAreCompiledApart() {
    LoadedModule compiled = LoadedModule.of("m", MODULE, false);
    LoadedModule interpreted = LoadedModule.of("m", MODULE, true);
    LoadedModule other =
        LoadedModule.of("m", Wat2Wasm.parse("(module (func (export \"answer\") (result i32) (i32.const 7)))"), false);
    assertThat(interpreted.machineFactory()).isNotSameAs(compiled.machineFactory());
    assertThat(other.parsed()).isNotSameAs(compiled.parsed());
  }
}
