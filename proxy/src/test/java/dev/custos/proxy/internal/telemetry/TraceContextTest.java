package dev.custos.proxy.internal.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** W3C {@code traceparent} values are read by OpenTelemetry's propagator, strictly. */
class TraceContextTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String PARENT = "00f067aa0ba902b7";

  @Test
  void aValidVersion00TraceparentIsContinuedWithANewSpanId() {
    TraceContext t = TraceContext.parse("00-" + TRACE_ID + "-" + PARENT + "-01");
    assertThat(t).isNotNull();
    assertThat(t.traceId()).isEqualTo(TRACE_ID);
    assertThat(t.parentId()).isEqualTo(PARENT);
    assertThat(t.flags()).isEqualTo("01");
    assertThat(t.spanId()).matches("[0-9a-f]{16}").isNotEqualTo(PARENT);
    assertThat(t.traceparent()).startsWith("00-" + TRACE_ID + "-").endsWith("-01");
  }

  @Test
  void aLaterVersionIsReadByItsFirstFourFields() {
    TraceContext t = TraceContext.parse("cc-" + TRACE_ID + "-" + PARENT + "-01-what-comes-next");
    assertThat(t).isNotNull();
    assertThat(t.traceId()).isEqualTo(TRACE_ID);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // upper case
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x", // version 00 is exactly 55
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", // short trace id
      "00-4bf92f3577b34da6a3ce929d0e0e47366-00f067aa0ba902b7-01", // long trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01", // short parent id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", // flags not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", // one-digit flags
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // version not hex
      "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", // wrong separator
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // not hex
      "",
      "garbage"})
  void anInvalidTraceparentIsNotContinued(String value) {
    assertThat(TraceContext.parse(value)).isNull();
  }

  @Test
  void aMissingTraceparentStartsANewTrace() {
    assertThat(TraceContext.parse(null)).isNull();
  }
}
