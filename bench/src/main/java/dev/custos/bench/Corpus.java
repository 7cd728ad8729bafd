package dev.custos.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates deterministic benchmark corpora: JSON API responses and plain text (logs, support
 * tickets, prose) in which about 1 % of the bytes are sensitive values (valid cards, SSNs, emails,
 * phone numbers, IBANs, AWS key ids, JWTs, …), mixed with decoys that look alike but must not be
 * reported (Luhn-failing 16-digit numbers, SSN-shaped numbers with area 000 or 666, order numbers,
 * hex hashes, UUIDs, timestamps).
 *
 * <p>The same {@code (bytes, seed)} always yields the same bytes. Every value is synthetic.
 */
public final class Corpus {
  /** The share of bytes the generator plants as sensitive values. */
  static final double SENSITIVE_SHARE = 0.01;

  /** What a corpus holds. */
  enum Kind {
    /** One JSON document: an API response with an array of user and order objects. */
    JSON,
    /** JSON Lines: one API response or event per line. */
    JSON_LINES,
    /** Log lines, support tickets and prose. */
    TEXT,
    /**
     * One {@code application/x-www-form-urlencoded} body: a batch of sign-up and checkout
     * submissions ({@code users%5B3%5D%5Bemail%5D=ana.silva%40example.com&…}), percent-encoded as a
     * browser does ({@code +} for a space); planted spans cover the encoded bytes.
     */
    FORM
  }

  /** A planted value: sensitive (with its category) or a decoy, at byte offsets {@code [start, end)}. */
  record Span(String category, int start, int end, boolean decoy) {}

  /** A generated corpus with what was planted in it. */
  record Sample(byte[] bytes, List<Span> spans) {}

  private Corpus() {}

  /** Returns a JSON API response document of exactly {@code bytes} bytes. */
  public static byte[] json(int bytes, long seed) {
    return generate(Kind.JSON, bytes, seed).bytes();
  }

  /** Returns JSON Lines (one API response or event per line) of exactly {@code bytes} bytes. */
  public static byte[] jsonLines(int bytes, long seed) {
    return generate(Kind.JSON_LINES, bytes, seed).bytes();
  }

  /**
   * Returns one URL-encoded form ({@code application/x-www-form-urlencoded}: sign-up and checkout
   * submissions in a batch) of exactly {@code bytes} bytes.
   */
  public static byte[] form(int bytes, long seed) {
    return generate(Kind.FORM, bytes, seed).bytes();
  }

  /** Returns plain text (log lines, support tickets, prose) of exactly {@code bytes} bytes. */
  public static byte[] text(int bytes, long seed) {
    return generate(Kind.TEXT, bytes, seed).bytes();
  }

  /**
   * Returns one protobuf message of about {@code bytes} bytes (at least that many): a repeated
   * record field (1), each record holding one line of the text corpus as a string (1), a varint
   * id (2), a fixed64 (3) and a nested message with the line's first word (4). The strings carry
   * the text corpus's planted values.
   */
  public static byte[] protobuf(int bytes, long seed) {
    String[] lines = new String(text(bytes, seed), java.nio.charset.StandardCharsets.UTF_8).split("\n");
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(bytes + bytes / 4);
    long id = seed;
    while (out.size() < bytes) {
      for (String line : lines) {
        java.io.ByteArrayOutputStream record = new java.io.ByteArrayOutputStream(line.length() + 32);
        byte[] text = line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        field(record, 1, text);
        record.write(2 << 3);
        varint(record, ++id & 0xFFFFFFFL);
        record.write((3 << 3) | 1);
        for (int i = 0; i < 8; i++) {
          record.write((int) (id >>> (8 * i)));
        }
        String first = line.isEmpty() ? "-" : line.split(" ", 2)[0];
        java.io.ByteArrayOutputStream nested = new java.io.ByteArrayOutputStream();
        field(nested, 1, first.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        field(record, 4, nested.toByteArray());
        field(out, 1, record.toByteArray());
        if (out.size() >= bytes) {
          break;
        }
      }
    }
    return out.toByteArray();
  }

  private static void field(java.io.ByteArrayOutputStream out, int number, byte[] value) {
    varint(out, ((long) number << 3) | 2);
    varint(out, value.length);
    out.writeBytes(value);
  }

  private static void varint(java.io.ByteArrayOutputStream out, long value) {
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }

  static Sample generate(Kind kind, int bytes, long seed) {
    if (bytes < 64) {
      throw new IllegalArgumentException("bytes: " + bytes + " (expected: at least 64)");
    }
    Gen g = new Gen(new SplittableRandom(seed), bytes);
    switch (kind) {
      case JSON -> g.jsonDocument();
      case JSON_LINES -> g.jsonLines();
      case TEXT -> g.text();
      case FORM -> g.form();
    }
    return new Sample(kind == Kind.FORM ? g.out.toArray(bytes, (byte) '&') : g.out.toArray(bytes), List.copyOf(g.spans));
  }

  // ---------------------------------------------------------------------------------------------

  private static final String[] FIRST = {
    "Ana", "Ben", "Chloé", "David", "Emma", "Fatima", "George", "Hannah", "Ivan", "Julia", "Kenji",
    "Laura", "Mateo", "Nina", "Omar", "Priya", "Quinn", "Rosa", "Søren", "Tom", "Uma", "Victor",
    "Wei", "Xavier", "Yara", "Zoë", "José", "Mia", "Noah", "Liam", "Olivia", "Lucas"
  };
  private static final String[] LAST = {
    "Müller", "Smith", "García", "Nguyen", "Johnson", "Kowalski", "Rossi", "Dubois", "Tanaka",
    "Silva", "Andersson", "Brown", "Öztürk", "Williams", "Jones", "Martin", "Lee", "Novak",
    "Hernández", "Kim", "Patel", "Schmidt", "O'Brien", "Costa"
  };
  private static final String[] STREETS = {"Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset"};
  /** Assigned North American area codes: phone numbers are validated with libphonenumber. */
  private static final String[] AREA_CODES = {
    "201", "212", "213", "305", "312", "404", "415", "512", "604", "617", "646", "702", "718", "917"
  };
  private static final String[] SUFFIXES = {"Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Court", "Way"};
  private static final String[] CITIES = {
    "Springfield", "Portland", "Austin", "Berlin", "Lyon", "Kraków", "Osaka", "São Paulo", "Toronto",
    "Madrid", "Leeds", "Göteborg", "Dublin", "Denver"
  };
  private static final String[] COUNTRIES = {"US", "DE", "FR", "PL", "JP", "BR", "CA", "ES", "GB", "SE", "IE"};
  private static final String[] DOMAINS = {"example.com", "example.org", "mail.example.net", "corp.example.io", "test.example.dev"};
  private static final String[] PRODUCTS = {
    "USB-C cable 2m", "Wireless mouse", "Standing desk", "Noise-cancelling headphones", "27\\\" monitor",
    "Mechanical keyboard", "Laptop sleeve", "Webcam HD", "Desk lamp", "Coffee beans 1kg",
    "Running shoes", "Water bottle", "Backpack 30L", "Phone case", "Notebook A5"
  };
  private static final String[] STATUSES = {"pending", "paid", "shipped", "delivered", "cancelled", "refunded"};
  private static final String[] LEVELS = {"INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
  private static final String[] LOGGERS = {
    "c.e.orders.OrderService", "c.e.http.AccessLog", "c.e.billing.InvoiceJob", "c.e.auth.LoginController",
    "c.e.search.IndexWorker", "o.a.kafka.clients.Consumer", "c.e.cart.CartRepository"
  };
  private static final String[] WORDS = (
      "the a an of to in for on with at by from about into over after before under between through "
          + "order shipment delivery customer team release build service request response latency cache "
          + "queue worker batch report invoice refund update issue ticket page search result item product "
          + "price discount warehouse region cluster deploy rollback config feature flag metric alert "
          + "is was were has had will would should could may might can must does did "
          + "quick slow new old large small early late missing broken fixed pending weekly daily "
          + "we they it our their this that these those there here when while because although if "
          + "check review confirm send receive open close merge approve reject retry schedule ship "
          + "thanks please sorry hello regards best kindly again still already soon today tomorrow")
      .split(" ");
  private static final String[] NOTES = {
    "Leave the parcel at the back door.", "Gift wrap, no invoice in the box.",
    "Customer asked to deliver after 5pm.", "Repeat buyer, priority handling.",
    "Call before delivery.", "Fragile: glassware inside.", "Requested an itemised receipt by mail.",
    "Address verified by the courier.", "Promo code applied at checkout.", ""
  };

  /** A growable UTF-8 byte buffer. */
  private static final class Out {
    private byte[] buf = new byte[1 << 16];
    private int len;

    int length() {
      return len;
    }

    byte last() {
      return buf[len - 1];
    }

    Out add(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      ensure(b.length);
      System.arraycopy(b, 0, buf, len, b.length);
      len += b.length;
      return this;
    }

    Out add(char c) {
      if (c < 0x80) {
        ensure(1);
        buf[len++] = (byte) c;
        return this;
      }
      return add(String.valueOf(c));
    }

    Out add(long n) {
      return add(Long.toString(n));
    }

    void truncate(int to) {
      len = to;
    }

    private void ensure(int n) {
      if (len + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
      }
    }

    /** Returns the bytes padded to {@code size} with {@code pad} (a form: empty fields). */
    byte[] toArray(int size, byte pad) {
      byte[] result = Arrays.copyOf(buf, size);
      Arrays.fill(result, len, size, pad);
      return result;
    }

    byte[] toArray(int size) {
      byte[] result = Arrays.copyOf(buf, size);
      Arrays.fill(result, len, size, (byte) ' ');
      if (size > len) {
        result[size - 1] = '\n';
      }
      return result;
    }
  }

  private static final class Gen {
    final SplittableRandom r;
    final int limit;
    final Out out = new Out();
    final List<Span> spans = new ArrayList<>();
    int sensitiveBytes;
    long clock = 1_709_251_200_000L; // 2024-03-01T00:00:00Z

    Gen(SplittableRandom r, int limit) {
      this.r = r;
      this.limit = limit;
    }

    // --- top level ------------------------------------------------------------------------------

    void jsonDocument() {
      out.add("{\"request_id\":\"").add(uuid()).add("\",\"status\":200,\"page\":1,\"data\":[");
      int reserve = 4; // "]}" + padding room
      boolean first = true;
      while (true) {
        int mark = mark();
        if (!first) {
          out.add(',');
        }
        if (r.nextInt(3) == 0) {
          user();
        } else {
          order();
        }
        if (out.length() > limit - reserve) {
          rollback(mark);
          break;
        }
        first = false;
      }
      out.add("]}\n");
    }

    void jsonLines() {
      while (true) {
        int mark = mark();
        int pick = r.nextInt(10);
        if (pick < 4) {
          out.add("{\"request_id\":\"").add(uuid()).add("\",\"status\":200,\"ts\":\"").add(iso()).add("\",\"data\":[");
          int n = 1 + r.nextInt(5);
          for (int i = 0; i < n; i++) {
            if (i > 0) {
              out.add(',');
            }
            if (r.nextBoolean()) {
              user();
            } else {
              order();
            }
          }
          out.add("]}");
        } else {
          event();
        }
        out.add('\n');
        if (out.length() > limit - 1) {
          rollback(mark);
          break;
        }
      }
    }

    void text() {
      while (true) {
        int mark = mark();
        int pick = r.nextInt(20);
        if (pick < 13) {
          logLine();
        } else if (pick < 16) {
          ticket();
        } else if (pick < 19) {
          prose();
        } else {
          stackTraceOrProse();
        }
        if (out.length() > limit - 1) {
          rollback(mark);
          break;
        }
      }
    }

    void form() {
      int record = 0;
      while (true) {
        int mark = mark();
        if (record > 0) {
          out.add('&');
        }
        if (r.nextInt(3) == 0) {
          signUp(record);
        } else {
          checkout(record);
        }
        if (out.length() > limit) {
          rollback(mark);
          break;
        }
        record++;
      }
    }

    /** Starts a form field: {@code &} unless first in its record, then the encoded name and {@code =}. */
    void field(String prefix, String name) {
      if (out.length() > 0 && out.last() != '&') {
        out.add('&');
      }
      out.add(encode(prefix + name)).add('=');
    }

    void signUp(int record) {
      String p = "users[" + record + "][";
      String first = pick(FIRST);
      String last = pick(LAST);
      field(p, "first_name]");
      out.add(encode(first));
      field(p, "last_name]");
      out.add(encode(last));
      if (plant(60)) {
        field(p, "email]");
        sensitive("email", encode(email(first, last)));
      } else {
        field(p, "username]");
        out.add("usr_").add(alnum(10));
      }
      if (plant(40)) {
        field(p, "phone]");
        sensitive("phone_number", encode(phone()));
      }
      field(p, "plan]");
      out.add(pick(new String[] {"free", "team", "business"}));
      if (plant(15)) {
        field(p, "ssn]");
        sensitive("us_ssn", encode(ssn()));
      } else if (r.nextInt(8) == 0) {
        field(p, "legacy_ref]");
        decoy("ssn_shaped", encode(badSsn()));
      }
      if (plant(10)) {
        field(p, "payout_iban]");
        sensitive("iban", encode(iban()));
      }
      field(p, "newsletter]");
      out.add(r.nextBoolean() ? "on" : "off");
      field(p, "about]");
      out.add(encode(sentence(4, 16)));
      field(p, "csrf_token]");
      decoy("hex_hash", hex(40));
      field(p, "session]");
      decoy("uuid", uuid());
      field(p, "submitted_at]");
      decoy("timestamp", encode(iso()));
    }

    void checkout(int record) {
      String p = "orders[" + record + "][";
      field(p, "order_id]");
      decoy("order_number", encode(orderNumber()));
      int n = 1 + r.nextInt(3);
      for (int i = 0; i < n; i++) {
        field(p, "items][" + i + "][sku]");
        out.add("SKU-").add(alnum(8));
        field(p, "items][" + i + "][name]");
        out.add(encode(pick(PRODUCTS).replace("\\", "")));
        field(p, "items][" + i + "][qty]");
        out.add(1 + r.nextInt(3));
      }
      field(p, "cardholder]");
      out.add(encode(pick(FIRST) + " " + pick(LAST)));
      if (plant(35)) {
        field(p, "card_number]");
        sensitive("credit_card", encode(card()));
        field(p, "exp]");
        out.add(encode(String.format("%02d/%02d", 1 + r.nextInt(12), 26 + r.nextInt(6))));
      } else if (r.nextInt(3) == 0) {
        field(p, "gift_card]");
        decoy("luhn_failing", encode(badCard()));
      } else {
        field(p, "saved_card_last4]");
        out.add(digits(4));
      }
      if (plant(25)) {
        field(p, "shipping_street]");
        sensitive("street_address", encode(street()));
      }
      field(p, "shipping_city]");
      out.add(encode(pick(CITIES)));
      field(p, "note]");
      out.add(encode(pick(NOTES)));
      field(p, "csrf_token]");
      decoy("hex_hash", hex(40));
    }

    /** Percent-encodes as an HTML form does ({@code application/x-www-form-urlencoded}, UTF-8). */
    static String encode(String s) {
      return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    int mark() {
      return out.length();
    }

    void rollback(int mark) {
      out.truncate(mark);
      while (!spans.isEmpty() && spans.get(spans.size() - 1).end() > mark) {
        Span s = spans.remove(spans.size() - 1);
        if (!s.decoy()) {
          sensitiveBytes -= s.end() - s.start();
        }
      }
    }

    /** Returns true when the sensitive budget allows planting one more value (and a coin says so). */
    boolean plant(int percent) {
      return sensitiveBytes < SENSITIVE_SHARE * out.length() && r.nextInt(100) < percent;
    }

    void sensitive(String category, String value) {
      int start = out.length();
      out.add(value);
      spans.add(new Span(category, start, out.length(), false));
      sensitiveBytes += out.length() - start;
    }

    void decoy(String kind, String value) {
      int start = out.length();
      out.add(value);
      spans.add(new Span(kind, start, out.length(), true));
    }

    // --- JSON records --------------------------------------------------------------------------

    void user() {
      String first = pick(FIRST);
      String last = pick(LAST);
      out.add("{\"id\":\"usr_").add(alnum(12)).add("\",\"uuid\":\"");
      decoy("uuid", uuid());
      out.add("\",\"name\":\"").add(first).add(' ').add(last.replace("'", "’")).add('"');
      if (plant(60)) {
        out.add(",\"email\":\"");
        sensitive("email", email(first, last));
        out.add('"');
      } else {
        out.add(",\"email_verified\":").add(r.nextBoolean() ? "true" : "false");
      }
      if (plant(40)) {
        out.add(",\"phone\":\"");
        sensitive("phone_number", phone());
        out.add('"');
      }
      out.add(",\"address\":{");
      if (plant(25)) {
        out.add("\"street\":\"");
        sensitive("street_address", street());
        out.add("\",");
      }
      out.add("\"city\":\"").add(pick(CITIES)).add("\",\"postal_code\":\"").add(pick(COUNTRIES)).add('-')
          .add(alnum(5)).add("\",\"country\":\"").add(pick(COUNTRIES)).add("\"}");
      out.add(",\"created_at\":\"");
      decoy("timestamp", iso());
      out.add("\",\"last_seen_ms\":").add(clock += r.nextInt(60_000));
      if (plant(15)) {
        out.add(",\"ssn\":\"");
        sensitive("us_ssn", ssn());
        out.add('"');
      } else if (r.nextInt(10) == 0) {
        out.add(",\"legacy_ref\":\"");
        decoy("ssn_shaped", badSsn());
        out.add('"');
      }
      if (plant(10)) {
        out.add(",\"payout\":{\"iban\":\"");
        sensitive("iban", iban());
        out.add("\"}");
      }
      out.add(",\"roles\":[\"").add(r.nextBoolean() ? "customer" : "admin").add("\"],\"prefs\":{\"lang\":\"")
          .add(pick(new String[] {"en", "de", "fr", "pl", "ja", "pt"})).add("\",\"newsletter\":")
          .add(r.nextBoolean() ? "true" : "false").add("},\"notes\":\"").add(pick(NOTES)).add("\"}");
    }

    void order() {
      out.add("{\"order_id\":\"");
      decoy("order_number", orderNumber());
      out.add("\",\"status\":\"").add(pick(STATUSES)).add("\",\"placed_at\":\"");
      decoy("timestamp", iso());
      out.add("\",\"customer_id\":\"usr_").add(alnum(12)).add("\",\"items\":[");
      int n = 1 + r.nextInt(4);
      long total = 0;
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          out.add(',');
        }
        long cents = 199 + r.nextInt(49_800);
        int qty = 1 + r.nextInt(3);
        total += cents * qty;
        out.add("{\"sku\":\"SKU-").add(alnum(8)).add("\",\"name\":\"").add(pick(PRODUCTS)).add("\",\"qty\":")
            .add(qty).add(",\"unit_price\":").add(money(cents)).add('}');
      }
      out.add("],\"total\":").add(money(total)).add(",\"currency\":\"EUR\",\"payment\":{");
      if (plant(30)) {
        out.add("\"method\":\"card\",\"card_number\":\"");
        sensitive("credit_card", card());
        out.add("\",");
      } else if (r.nextInt(4) == 0) {
        out.add("\"method\":\"invoice\",\"reference\":\"");
        decoy("luhn_failing", badCard());
        out.add("\",");
      } else {
        out.add("\"method\":\"card\",\"card_last4\":\"").add(digits(4)).add("\",");
      }
      out.add("\"txn\":\"");
      decoy("hex_hash", hex(40));
      out.add("\"},\"shipping\":{\"carrier\":\"").add(r.nextBoolean() ? "DHL" : "UPS").add("\",\"tracking\":\"1Z")
          .add(alnum(16)).add("\",\"city\":\"").add(pick(CITIES)).add("\"},\"note\":\"").add(sentence(4, 14))
          .add("\"}");
    }

    void event() {
      out.add("{\"ts\":\"");
      decoy("timestamp", iso());
      out.add("\",\"level\":\"").add(pick(LEVELS)).add("\",\"service\":\"").add(pick(LOGGERS))
          .add("\",\"trace_id\":\"");
      decoy("hex_hash", hex(32));
      out.add("\",\"span_id\":\"").add(hex(16)).add("\",\"msg\":\"").add(sentence(6, 18)).add('"');
      if (plant(30)) {
        out.add(",\"client_ip\":\"");
        sensitive("ip_address", ipv4());
        out.add('"');
      }
      if (plant(15)) {
        out.add(",\"headers\":{\"authorization\":\"Bearer ");
        sensitive("jwt", jwt());
        out.add("\"}");
      } else if (plant(10)) {
        out.add(",\"aws\":{\"access_key_id\":\"");
        sensitive("aws_access_key_id", awsKeyId());
        out.add("\"}");
      }
      out.add(",\"duration_ms\":").add(r.nextInt(2000)).add(",\"order\":\"");
      decoy("order_number", orderNumber());
      out.add("\",\"request_id\":\"");
      decoy("uuid", uuid());
      out.add("\"}");
    }

    // --- text ----------------------------------------------------------------------------------

    void logLine() {
      out.add(iso()).add(' ').add(pick(LEVELS)).add(" [http-nio-8080-exec-").add(1 + r.nextInt(16)).add("] ")
          .add(pick(LOGGERS)).add(" - ");
      switch (r.nextInt(6)) {
        case 0 -> {
          out.add("GET /api/v2/orders/");
          decoy("order_number", orderNumber());
          out.add(" 200 ").add(r.nextInt(400)).add("ms from ");
          if (plant(60)) {
            sensitive("ip_address", ipv4());
          } else {
            out.add("gateway-").add(r.nextInt(9));
          }
        }
        case 1 -> {
          out.add("payment authorised order=");
          decoy("order_number", orderNumber());
          if (plant(40)) {
            out.add(" card=");
            sensitive("credit_card", card());
          } else {
            out.add(" ref=");
            decoy("luhn_failing", badCard());
          }
        }
        case 2 -> {
          out.add("login ok user=");
          if (plant(60)) {
            sensitive("email", email(pick(FIRST), pick(LAST)));
          } else {
            out.add("usr_").add(alnum(12));
          }
          out.add(" session=");
          decoy("uuid", uuid());
        }
        case 3 -> {
          out.add("cache miss key=sha256:");
          decoy("hex_hash", hex(64));
          out.add(" took ").add(r.nextInt(90)).add("ms");
        }
        case 4 -> {
          out.add("outbound call ");
          if (plant(25)) {
            out.add("Authorization: Bearer ");
            sensitive("jwt", jwt());
          } else if (plant(30)) {
            out.add("with key ");
            sensitive("aws_access_key_id", awsKeyId());
          } else {
            out.add("trace=");
            decoy("hex_hash", hex(32));
          }
        }
        default -> {
          out.add("batch ").add(r.nextInt(10_000)).add(" done: ").add(sentence(5, 12)).add(" at ");
          decoy("timestamp", Long.toString(clock += r.nextInt(60_000)));
        }
      }
      out.add('\n');
    }

    void ticket() {
      String first = pick(FIRST);
      String last = pick(LAST);
      out.add("\nTicket #").add(100_000 + r.nextInt(900_000)).add(" opened ").add(iso()).add("\nFrom: ")
          .add(first).add(' ').add(last);
      if (plant(70)) {
        out.add(" <");
        sensitive("email", email(first, last));
        out.add('>');
      }
      out.add("\nSubject: ").add(sentence(3, 8)).add("\n\nHello, ").add(sentence(8, 25)).add(' ');
      switch (r.nextInt(5)) {
        case 0 -> {
          out.add("My card ");
          if (plant(80)) {
            sensitive("credit_card", card());
          } else {
            out.add("ending ").add(digits(4));
          }
          out.add(" was charged twice for order ");
          decoy("order_number", orderNumber());
          out.add(". ");
        }
        case 1 -> {
          out.add("You can reach me at ");
          if (plant(80)) {
            sensitive("phone_number", phone());
          } else {
            out.add("the usual number");
          }
          out.add(" after 6pm. ");
        }
        case 2 -> {
          out.add("For the tax form, my SSN is ");
          if (plant(80)) {
            sensitive("us_ssn", ssn());
          } else {
            out.add("on file");
          }
          out.add(" and the old form showed ");
          decoy("ssn_shaped", badSsn());
          out.add(" by mistake. ");
        }
        case 3 -> {
          out.add("Please refund to IBAN ");
          if (plant(80)) {
            sensitive("iban", iban());
          } else {
            out.add("the one on my profile");
          }
          out.add(", reference ");
          decoy("luhn_failing", badCard());
          out.add(". ");
        }
        default -> {
          out.add("Ship it to ");
          if (plant(70)) {
            sensitive("street_address", street());
            out.add(", ");
          }
          out.add(pick(CITIES)).add(". ");
        }
      }
      out.add(sentence(6, 20)).add("\nRegards, ").add(first).add("\n\n");
    }

    void prose() {
      int sentences = 3 + r.nextInt(6);
      for (int i = 0; i < sentences; i++) {
        out.add(sentence(6, 22)).add(' ');
      }
      out.add('\n');
    }

    void stackTraceOrProse() {
      if (!plant(20)) {
        prose();
        return;
      }
      int start = out.length();
      out.add("java.lang.IllegalStateException: queue closed\n");
      int frames = 3 + r.nextInt(5);
      for (int i = 0; i < frames; i++) {
        out.add("\tat ").add(pick(LOGGERS).replace("c.e.", "com.example.")).add(".run(Worker.java:")
            .add(10 + r.nextInt(400)).add(")\n");
      }
      spans.add(new Span("stack_trace", start, out.length() - 1, false));
      sensitiveBytes += out.length() - start;
    }

    String sentence(int min, int max) {
      int n = min + r.nextInt(max - min + 1);
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          sb.append(' ');
        }
        sb.append(pick(WORDS));
      }
      sb.setCharAt(0, Character.toUpperCase(sb.charAt(0)));
      return sb.append('.').toString();
    }

    // --- values --------------------------------------------------------------------------------

    String pick(String[] values) {
      return values[r.nextInt(values.length)];
    }

    String digits(int n) {
      char[] c = new char[n];
      for (int i = 0; i < n; i++) {
        c[i] = (char) ('0' + r.nextInt(10));
      }
      return new String(c);
    }

    String alnum(int n) {
      String alphabet = "abcdefghijkmnpqrstuvwxyz";
      char[] c = new char[n];
      for (int i = 0; i < n; i++) {
        c[i] = alphabet.charAt(r.nextInt(alphabet.length()));
      }
      return new String(c);
    }

    String hex(int n) {
      char[] c = new char[n];
      for (int i = 0; i < n; i++) {
        c[i] = "0123456789abcdef".charAt(r.nextInt(16));
      }
      return new String(c);
    }

    String uuid() {
      String h = hex(32);
      return h.substring(0, 8) + '-' + h.substring(8, 12) + "-4" + h.substring(13, 16) + '-'
          + "89ab".charAt(r.nextInt(4)) + h.substring(17, 20) + '-' + h.substring(20);
    }

    String iso() {
      clock += r.nextInt(5_000);
      return java.time.Instant.ofEpochMilli(clock).toString();
    }

    String money(long cents) {
      return cents / 100 + "." + String.format("%02d", cents % 100);
    }

    String orderNumber() {
      return switch (r.nextInt(3)) {
        case 0 -> "ORD-2024-" + digits(6);
        case 1 -> "A" + (10_000_000 + r.nextInt(89_999_999));
        default -> "#" + (100_000 + r.nextInt(900_000));
      };
    }

    String email(String first, String last) {
      return ascii(first) + '.' + ascii(last) + (r.nextBoolean() ? "" : Integer.toString(r.nextInt(100)))
          + '@' + pick(DOMAINS);
    }

    String ascii(String name) {
      String n = java.text.Normalizer.normalize(name, java.text.Normalizer.Form.NFD);
      return n.replaceAll("[^A-Za-z]", "").toLowerCase(java.util.Locale.ROOT);
    }

    String phone() {
      String exchange = (2 + r.nextInt(8)) + digits(2);
      String area = pick(AREA_CODES);
      return switch (r.nextInt(3)) {
        case 0 -> "+1" + area + exchange + digits(4);
        case 1 -> "(" + area + ") " + exchange + "-" + digits(4);
        default -> "+49 30 " + digits(4) + " " + digits(4);
      };
    }

    String street() {
      return (1 + r.nextInt(9_999)) + " " + pick(STREETS) + " " + pick(SUFFIXES);
    }

    String ssn() {
      int area;
      do {
        area = 1 + r.nextInt(899);
      } while (area == 666);
      return String.format("%03d-%02d-%04d", area, 1 + r.nextInt(99), 1 + r.nextInt(9_999));
    }

    String badSsn() {
      return String.format("%03d-%02d-%04d", r.nextBoolean() ? 0 : 666, 1 + r.nextInt(99), 1 + r.nextInt(9_999));
    }

    String card() {
      String body;
      int length;
      switch (r.nextInt(4)) {
        case 0 -> { body = "4" + digits(5); length = 16; }
        case 1 -> { body = "5" + (1 + r.nextInt(5)) + digits(4); length = 16; }
        case 2 -> { body = "37" + digits(4); length = 15; }
        default -> { body = "6011" + digits(2); length = 16; }
      }
      String pan = body + digits(length - 1 - body.length());
      pan += luhnDigit(pan);
      if (r.nextBoolean()) {
        return pan;
      }
      if (length == 15) {
        return pan.substring(0, 4) + ' ' + pan.substring(4, 10) + ' ' + pan.substring(10);
      }
      char sep = r.nextBoolean() ? ' ' : '-';
      return pan.substring(0, 4) + sep + pan.substring(4, 8) + sep + pan.substring(8, 12) + sep + pan.substring(12);
    }

    /** A 16-digit number that fails the Luhn check. */
    String badCard() {
      String body = (char) ('2' + r.nextInt(5)) + digits(14);
      int good = luhnDigit(body);
      return body + (good + 1 + r.nextInt(9)) % 10;
    }

    String iban() {
      String country;
      String bban;
      if (r.nextBoolean()) {
        country = "DE";
        bban = digits(18);
      } else {
        country = "GB";
        bban = "NWBK" + digits(14);
      }
      String rearranged = bban + country + "00";
      int mod = 0;
      for (int i = 0; i < rearranged.length(); i++) {
        char c = rearranged.charAt(i);
        String v = Character.isDigit(c) ? String.valueOf(c) : Integer.toString(c - 'A' + 10);
        for (int k = 0; k < v.length(); k++) {
          mod = (mod * 10 + (v.charAt(k) - '0')) % 97;
        }
      }
      String iban = country + String.format("%02d", 98 - mod) + bban;
      if (r.nextBoolean()) {
        return iban;
      }
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < iban.length(); i += 4) {
        if (i > 0) {
          sb.append(' ');
        }
        sb.append(iban, i, Math.min(i + 4, iban.length()));
      }
      return sb.toString();
    }

    String ipv4() {
      return (11 + r.nextInt(180)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254));
    }

    String awsKeyId() {
      String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
      StringBuilder sb = new StringBuilder(r.nextBoolean() ? "AKIA" : "ASIA");
      for (int i = 0; i < 16; i++) {
        sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      return sb.toString();
    }

    String jwt() {
      Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
      String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
      String payload =
          b64.encodeToString(
              ("{\"sub\":\"usr_" + alnum(12) + "\",\"iat\":" + clock / 1000 + ",\"scope\":\"orders:read\"}")
                  .getBytes(StandardCharsets.UTF_8));
      byte[] sig = new byte[32];
      for (int i = 0; i < sig.length; i++) {
        sig[i] = (byte) r.nextInt(256);
      }
      return header + '.' + payload + '.' + b64.encodeToString(sig);
    }

    static int luhnDigit(String partial) {
      int sum = 0;
      boolean dbl = true;
      for (int i = partial.length() - 1; i >= 0; i--) {
        int d = partial.charAt(i) - '0';
        if (dbl) {
          d *= 2;
          if (d > 9) {
            d -= 9;
          }
        }
        sum += d;
        dbl = !dbl;
      }
      return (10 - sum % 10) % 10;
    }
  }
}
