package dev.custos.proxy.internal.l4;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SyslogHeaderTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // RFC 5424, with and without STRUCTURED-DATA (a ']' escaped inside a value)
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed|'su root' failed",
      "<165>1 2003-10-11T22:14:15.003Z host evntslog - ID47 [exampleSDID@32473 iut=\"3\" x=\"a\\]b\"] An application event|An application event",
      "<165>1 2003-10-11T22:14:15.003Z host app - - [a@1 k=\"v\"][b@2 k=\"w\"] two elements|two elements",
      "<13>1 2026-12-07T10:00:00Z host app 1 - -|''",
      // RFC 3164
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick|'su root' failed for lonvick",
      "<13>Dec  7 10:00:00 host app[123]: card here|card here",
      "<13>Dec  7 10:00:00 host no tag at all|no tag at all",
      // No header: all of it is the message
      "plain text line|plain text line",
      "<13>hello world|hello world",
      "<abc>not a priority|<abc>not a priority"})
  void theMessagePartIsWhatFollowsTheHeader(String message, String expected) {
    byte[] m = message.getBytes(StandardCharsets.UTF_8);
    int start = SyslogHeader.messageStart(m);
    assertThat(new String(m, start, m.length - start, StandardCharsets.UTF_8)).isEqualTo(expected);
  }
}
