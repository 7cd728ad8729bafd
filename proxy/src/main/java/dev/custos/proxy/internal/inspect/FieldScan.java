package dev.custos.proxy.internal.inspect;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.linecorp.armeria.common.HttpHeaders;
import com.linecorp.armeria.common.HttpHeadersBuilder;
import com.linecorp.armeria.common.QueryParams;
import com.linecorp.armeria.common.QueryParamsBuilder;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.common.RequestHeadersBuilder;
import com.linecorp.armeria.common.ResponseHeaders;
import com.linecorp.armeria.common.ResponseHeadersBuilder;
import dev.custos.engine.ContentType;
import dev.custos.engine.Direction;
import dev.custos.engine.Finding;
import dev.custos.engine.RedactionStyle;
import dev.custos.engine.ScanNote;
import dev.custos.engine.StreamScanner;
import dev.custos.proxy.internal.telemetry.SafeText;
import io.netty.util.AsciiString;
import io.netty.util.NetUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Scans the fields of a message that are not its body: a request's header values and names, its
 * host name (not an IP literal), its decoded path and its query parameters; a response's header
 * values and names; the trailers of either. They are written as one small JSON object,
 * <code>{"name":"value",…}</code>, so each name is the key (and context) of its value; a finding
 * is mapped back to {@code header:<name>}, {@code header:host}, {@code trailer:<name>}, {@code
 * query:<name>} or {@code path} by its offset. A redaction rewrites that document and reads the
 * names and values back; the path and host are never rewritten (see {@link #redactsPath}). Values never leave this class except through the rebuilt headers. Not
 * thread-safe; one per message part.
 */
final class FieldScan {
  private static final JsonFactory JSON = new JsonFactory();
  /** Framing and representation headers: the proxy and the peers read them, they hold no data. */
  private static final Set<AsciiString> NOT_SCANNED = Set.of(
      AsciiString.of("content-length"), AsciiString.of("content-type"),
      AsciiString.of("content-encoding"), AsciiString.of("transfer-encoding"),
      AsciiString.of("connection"), AsciiString.of("keep-alive"), AsciiString.of("te"),
      AsciiString.of("upgrade"), AsciiString.of("host"), AsciiString.of("accept"),
      AsciiString.of("accept-encoding"));
  /** The JSON key of the path field: a neutral word, so it lends no context to the path. */
  private static final String PATH_KEY = "path";

  private enum Kind {
    HEADER("header:", "headers"), TRAILER("trailer:", "trailers"), QUERY("query:", "query"),
    PATH("path", "path"), HOST("header:host", "host");

    final String prefix;
    /** The part of the message, as a rule's {@code match.parts} names it. */
    final String part;

    Kind(String prefix, String part) {
      this.prefix = prefix;
      this.part = part;
    }
  }

  private record Field(Kind kind, String name, String value) {
    /** Names the field's location only: its value may be the sensitive one. */
    @Override
    public String toString() {
      return kind == Kind.PATH || kind == Kind.HOST ? kind.prefix
          : kind.prefix + SafeText.of(name, 64);
    }
  }

  private final List<Field> fields = new ArrayList<>();
  private final byte[] document;
  private final long[] valueEnds;
  private final @Nullable String pathWithoutQuery;
  private final List<Finding> findings = new ArrayList<>();
  private Set<ScanNote> notes = Set.of();

  private FieldScan(HttpHeaders headers, Kind kind, boolean pathAndQuery) {
    for (Map.Entry<AsciiString, String> e : headers) {
      AsciiString name = e.getKey();
      if (name.length() == 0 || name.charAt(0) == ':' || NOT_SCANNED.contains(name)) {
        continue;
      }
      fields.add(new Field(kind, name.toString(), e.getValue()));
    }
    String query = null;
    if (pathAndQuery && headers instanceof RequestHeaders req) {
      String host = Inspector.hostOf(req.authority());
      if (!host.isEmpty() && !NetUtil.isValidIpV4Address(host)
          && !NetUtil.isValidIpV6Address(host)) {
        // A host name is scanned (an IP literal is not: it would be an ip_address finding on
        // every request); like the path it is never rewritten.
        fields.add(new Field(Kind.HOST, "host", host));
      }
      String path = req.path();
      int q = path.indexOf('?');
      pathWithoutQuery = q >= 0 ? path.substring(0, q) : path;
      query = q >= 0 ? path.substring(q + 1) : null;
      fields.add(new Field(Kind.PATH, PATH_KEY, decodedPath(pathWithoutQuery)));
    } else {
      pathWithoutQuery = null;
    }
    if (query != null) {
      QueryParams.fromQueryString(query).forEach((name, value) ->
          fields.add(new Field(Kind.QUERY, name, value)));
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

  /** Returns the scan of a request's headers, decoded path and query parameters. */
  static FieldScan ofRequest(RequestHeaders headers) {
    return new FieldScan(headers, Kind.HEADER, true);
  }

  /** Returns the scan of a response's headers. */
  static FieldScan ofResponse(ResponseHeaders headers) {
    return new FieldScan(headers, Kind.HEADER, false);
  }

  /** Returns the scan of a message's trailers. */
  static FieldScan ofTrailers(HttpHeaders trailers) {
    return new FieldScan(trailers, Kind.TRAILER, false);
  }

  private static void quoted(ByteSink doc, byte[] inner) {
    doc.write('"');
    doc.write(inner, 0, inner.length);
    doc.write('"');
  }

  /**
   * Returns the path percent-decoded once, as a server decodes its segments (UTF-8; {@code +}
   * stays a plus; a {@code %} not followed by two hex digits stays as it is).
   */
  static String decodedPath(String rawPath) {
    if (rawPath.indexOf('%') < 0) {
      return rawPath;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(rawPath.length());
    byte[] raw = rawPath.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < raw.length; i++) {
      byte b = raw[i];
      if (b == '%' && i + 2 < raw.length) {
        int hi = Character.digit(raw[i + 1], 16);
        int lo = Character.digit(raw[i + 2], 16);
        if (hi >= 0 && lo >= 0) {
          out.write(hi << 4 | lo);
          i += 2;
          continue;
        }
      }
      out.write(b);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Returns the notes of {@link #scan} (a plugin detector's failure, for one). */
  Set<ScanNote> notes() {
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
      tally.record(f, fieldOf(f).toString(), fieldOf(f).kind().part);
    }
  }

  private Field fieldOf(Finding f) {
    return fields.get(indexOf(f));
  }

  private int indexOf(Finding f) {
    for (int i = 0; i < fields.size(); i++) {
      if (f.start() < valueEnds[i]) {
        return i;
      }
    }
    return fields.size() - 1;
  }

  /**
   * Returns whether a redact rule acts on a finding in the path or the host name: neither can be
   * rewritten (they name the resource), so such a request is refused rather than passed with the
   * value.
   */
  boolean redactsPath(RuleTally tally) {
    for (Finding f : findings) {
      if (!rewritable(fieldOf(f)) && tally.styleFor(f, fieldOf(f).kind().part) != null) {
        return true;
      }
    }
    return false;
  }

  private static boolean rewritable(Field f) {
    return f.kind() != Kind.PATH && f.kind() != Kind.HOST;
  }

  /**
   * Returns the request's headers (and query) with every name and value that a redact rule acts
   * on rewritten, or {@code null} when nothing changes.
   */
  @Nullable RequestHeaders redact(Exchange ex, RuleTally tally, RequestHeaders headers,
      Direction direction) {
    List<Field> rewritten = rewritten(ex, tally, direction);
    if (rewritten == null) {
      return null;
    }
    RequestHeadersBuilder b = headers.toBuilder();
    applyTo(b, rewritten);
    boolean queryChanged = false;
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).kind() == Kind.QUERY && !fields.get(i).equals(rewritten.get(i))) {
        queryChanged = true;
      }
    }
    if (queryChanged && pathWithoutQuery != null) {
      QueryParamsBuilder qp = QueryParams.builder();
      for (Field f : rewritten) {
        if (f.kind() == Kind.QUERY) {
          qp.add(f.name(), f.value());
        }
      }
      b.path(pathWithoutQuery + '?' + qp.toQueryString());
    }
    return b.build();
  }

  /** Returns the response headers with the redactions applied, or {@code null} when none. */
  @Nullable ResponseHeaders redact(Exchange ex, RuleTally tally, ResponseHeaders headers) {
    List<Field> rewritten = rewritten(ex, tally, Direction.RESPONSE);
    if (rewritten == null) {
      return null;
    }
    ResponseHeadersBuilder b = headers.toBuilder();
    applyTo(b, rewritten);
    return b.build();
  }

  /** Returns the trailers with the redactions applied, or {@code null} when none. */
  @Nullable HttpHeaders redactTrailers(Exchange ex, RuleTally tally, HttpHeaders trailers,
      Direction direction) {
    List<Field> rewritten = rewritten(ex, tally, direction);
    if (rewritten == null) {
      return null;
    }
    HttpHeadersBuilder b = trailers.toBuilder();
    applyTo(b, rewritten);
    return b.build();
  }

  /** Replaces every header or trailer whose name or value changed, keeping the order of lines. */
  private void applyTo(HttpHeadersBuilder b, List<Field> rewritten) {
    Set<String> changed = new LinkedHashSet<>();
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      if ((f.kind() == Kind.HEADER || f.kind() == Kind.TRAILER) && !f.equals(rewritten.get(i))) {
        changed.add(f.name());
      }
    }
    for (String name : changed) {
      b.remove(name);
    }
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      if ((f.kind() == Kind.HEADER || f.kind() == Kind.TRAILER) && changed.contains(f.name())) {
        Field r = rewritten.get(i);
        b.add(r.name(), r.value());
      }
    }
  }

  /**
   * Returns the fields with the redactions of {@code tally} applied (same order and kinds), or
   * {@code null} when no finding is redacted.
   */
  private @Nullable List<Field> rewritten(Exchange ex, RuleTally tally, Direction direction) {
    boolean any = false;
    for (Finding f : findings) {
      if (rewritable(fieldOf(f)) && tally.styleFor(f, fieldOf(f).kind().part) != null) {
        any = true;
        break;
      }
    }
    if (!any) {
      return null;
    }
    ByteSink out = new ByteSink();
    try (StreamScanner s = ex.scanner().newRedactingStream(ContentType.JSON, f -> {
      RedactionStyle style = tally.styleFor(f, fieldOf(f).kind().part);
      if (style != null) {
        ex.metrics().redaction(direction, f.category(), style.id());
      }
      return style;
    }, out::write)) {
      s.feed(document, 0, document.length);
      s.finish();
    }
    List<Field> read = readBack(out.toByteArray());
    List<Field> result = new ArrayList<>(fields.size());
    if (read != null && read.size() == fields.size() && validNames(read)) {
      for (int i = 0; i < fields.size(); i++) {
        Field f = fields.get(i);
        // The path and host are never rewritten (a redacted finding there refuses the request).
        result.add(rewritable(f) ? read.get(i) : f);
      }
      return result;
    }
    // The rewritten document does not read back (an escape was rewritten, or a name is no
    // longer a token): drop each value that held a redacted finding rather than pass it on, and
    // each line whose name held one.
    result.addAll(fields);
    for (Finding f : findings) {
      if (tally.styleFor(f, fieldOf(f).kind().part) != null) {
        int i = indexOf(f);
        Field field = fields.get(i);
        if (rewritable(field)) {
          result.set(i, new Field(field.kind(), field.name(), "[redacted]"));
        }
      }
    }
    return result;
  }

  /** Returns whether every rewritten header or trailer name is still a valid field name. */
  private boolean validNames(List<Field> read) {
    for (int i = 0; i < read.size(); i++) {
      Field f = fields.get(i);
      Field r = read.get(i);
      if ((f.kind() == Kind.HEADER || f.kind() == Kind.TRAILER) && !f.name().equals(r.name())
          && !isToken(r.name())) {
        return false;
      }
    }
    return true;
  }

  private static boolean isToken(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** Reads the rewritten document back: the fields' kinds with the new names and values. */
  private @Nullable List<Field> readBack(byte[] json) {
    List<Field> read = new ArrayList<>();
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (p.nextToken() != JsonToken.VALUE_STRING || read.size() >= fields.size()) {
          return null;
        }
        read.add(new Field(fields.get(read.size()).kind(), name, p.getText()));
      }
      return t == JsonToken.END_OBJECT ? read : null;
    } catch (IOException e) {
      return null;
    }
  }
}
