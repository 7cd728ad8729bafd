package dev.custos.proxy.internal.inspect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.QueryParamsBuilder;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import dev.custos.engine.ContentType;
import dev.custos.engine.Finding;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.StreamScanner;
import dev.custos.proxy.internal.telemetry.SafeText;
import io.netty.util.AsciiString;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Scans a request's header values and query parameters. They are written as one small JSON
 * object, <code>{"name":"value",…}</code>, so each name is the key (and context) of its value;
 * a finding is mapped back to {@code header:<name>} or {@code query:<name>} by its offset. A
 * redaction rewrites that document and reads the values back. Values never leave this class
 * except through the rebuilt headers.
 */
final class FieldScan {
  private static final JsonFactory JSON = new JsonFactory();
  private static final Set<AsciiString> NOT_SCANNED = Set.of(
      AsciiString.of("content-length"), AsciiString.of("content-type"),
      AsciiString.of("content-encoding"), AsciiString.of("transfer-encoding"),
      AsciiString.of("connection"), AsciiString.of("keep-alive"), AsciiString.of("te"),
      AsciiString.of("upgrade"), AsciiString.of("host"), AsciiString.of("accept"),
      AsciiString.of("accept-encoding"));

  private record Field(boolean header, String name, String value) {
    /** Names the field's location only: its value may be the sensitive one. */
    @Override
    public String toString() {
      return (header ? "header:" : "query:") + name;
    }
  }

  private final List<Field> fields = new ArrayList<>();
  private final byte[] document;
  private final long[] valueEnds;
  private final @Nullable String pathWithoutQuery;
  private final List<Finding> findings = new ArrayList<>();
  private java.util.Set<dev.custos.engine.ScanNote> notes = java.util.Set.of();

  FieldScan(RequestHeaders headers) {
    for (Map.Entry<AsciiString, String> e : headers) {
      AsciiString name = e.getKey();
      if (name.length() == 0 || name.charAt(0) == ':' || NOT_SCANNED.contains(name)) {
        continue;
      }
      fields.add(new Field(true, name.toString(), e.getValue()));
    }
    String path = headers.path();
    int q = path.indexOf('?');
    if (q >= 0) {
      pathWithoutQuery = path.substring(0, q);
      QueryParams params = QueryParams.fromQueryString(path.substring(q + 1));
      params.forEach((name, value) -> fields.add(new Field(false, name, value)));
    } else {
      pathWithoutQuery = null;
    }
    ByteSink doc = new ByteSink();
    valueEnds = new long[fields.size()];
    JsonStringEncoder enc = JsonStringEncoder.getInstance();
    doc.write('{');
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      if (i > 0) {
        doc.write(',');
      }
      quoted(doc, enc.quoteAsUTF8(f.name()));
      doc.write(':');
      quoted(doc, enc.quoteAsUTF8(f.value()));
      valueEnds[i] = doc.size();
    }
    doc.write('}');
    document = doc.toByteArray();
  }

  private static void quoted(ByteSink doc, byte[] inner) {
    doc.write('"');
    doc.write(inner, 0, inner.length);
    doc.write('"');
  }

  /** Returns the notes of {@link #scan} (a plugin detector's failure, for one). */
  java.util.Set<dev.custos.engine.ScanNote> notes() {
    return notes;
  }

  /** Scans the fields and counts every finding in {@code tally}. */
  void scan(Exchange ex, RuleTally tally) {
    if (fields.isEmpty()) {
      return;
    }
    try (StreamScanner s = ex.scanner().newStream(ContentType.JSON)) {
      findings.addAll(s.feed(document, 0, document.length));
      findings.addAll(s.finish());
      notes = s.notes();
    }
    for (Finding f : findings) {
      tally.record(f, location(f));
    }
  }

  private String location(Finding f) {
    for (int i = 0; i < fields.size(); i++) {
      if (f.start() < valueEnds[i]) {
        Field field = fields.get(i);
        return (field.header() ? "header:" : "query:") + safeName(field.name());
      }
    }
    return "header";
  }

  /** A name as it may appear in events: short, and with no long run of digits. */
  private static String safeName(String name) {
    return SafeText.of(name, 64);
  }

  /**
   * Returns the headers with every value that a redact rule acts on rewritten, or {@code null}
   * when nothing changes.
   */
  @Nullable RequestHeaders redact(Exchange ex, RuleTally tally, RequestHeaders headers,
      dev.custos.engine.Direction direction) {
    boolean any = false;
    for (Finding f : findings) {
      if (tally.styleFor(f) != null) {
        any = true;
        break;
      }
    }
    if (!any) {
      return null;
    }
    ByteSink out = new ByteSink();
    try (StreamScanner s = ex.scanner().newRedactingStream(ContentType.JSON, f -> {
      RedactionStyle style = tally.styleFor(f);
      if (style != null) {
        ex.metrics().redaction(direction, f.category(), style.id());
      }
      return style;
    }, out::write)) {
      s.feed(document, 0, document.length);
      s.finish();
    }
    List<String> values = readValues(out.toByteArray());
    if (values == null || values.size() != fields.size()) {
      // The rewritten document does not read back (an escape was rewritten): drop each value
      // that held a redacted finding rather than pass it on.
      values = new ArrayList<>();
      for (Field f : fields) {
        values.add(f.value());
      }
      for (Finding f : findings) {
        if (tally.styleFor(f) != null) {
          for (int i = 0; i < fields.size(); i++) {
            if (f.start() < valueEnds[i]) {
              values.set(i, "[redacted]");
              break;
            }
          }
        }
      }
    }
    RequestHeadersBuilder b = headers.toBuilder();
    Set<String> headerNames = new LinkedHashSet<>();
    boolean queryChanged = false;
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      if (!f.value().equals(values.get(i))) {
        if (f.header()) {
          headerNames.add(f.name());
        } else {
          queryChanged = true;
        }
      }
    }
    for (String name : headerNames) {
      b.remove(name);
      for (int i = 0; i < fields.size(); i++) {
        if (fields.get(i).header() && fields.get(i).name().equals(name)) {
          b.add(name, values.get(i));
        }
      }
    }
    if (queryChanged && pathWithoutQuery != null) {
      QueryParamsBuilder qp = QueryParams.builder();
      for (int i = 0; i < fields.size(); i++) {
        if (!fields.get(i).header()) {
          qp.add(fields.get(i).name(), values.get(i));
        }
      }
      b.path(pathWithoutQuery + '?' + qp.toQueryString());
    }
    return b.build();
  }

  private static @Nullable List<String> readValues(byte[] json) {
    List<String> values = new ArrayList<>();
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        if (p.nextToken() != JsonToken.VALUE_STRING) {
          return null;
        }
        values.add(p.getText());
      }
      return t == JsonToken.END_OBJECT ? values : null;
    } catch (IOException e) {
      return null;
    }
  }
}
