package dev.custos.cli.internal.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.HttpRequest;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.HttpService;
import com.linecorp.armeria.server.ServiceRequestContext;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's upstream: a small REST API over synthetic user records (names, emails, card numbers,
 * SSNs), with no protection of its own. Immutable and thread-safe; it never blocks.
 *
 * <ul>
 *   <li>{@code GET /api/users}: every user, as a JSON list;
 *   <li>{@code GET /api/users/{id}}: one user, or 404;
 *   <li>{@code POST /api/users}: 201 with the request body echoed back;
 *   <li>{@code GET /api/export}: a bulk list of {@value #EXPORT_SIZE} people with their SSNs;
 *   <li>{@code POST /api/chat}: a chat completion streamed as Server-Sent Events;
 *   <li>{@code POST /custos.demo.Users/GetUser}: a unary gRPC method answering one user;
 *   <li>{@code GET /api/orders}: a few orders, nothing sensitive (the proxy asks for an API key
 *       and rate-limits this route).
 * </ul>
 *
 * <p>The card numbers are the networks' public test numbers (Luhn-valid, never issued) and the
 * SSNs are made up within valid areas; none belongs to anyone.
 */
public final class DemoUpstream implements HttpService {
  /** How many records {@code GET /api/export} returns. */
  public static final int EXPORT_SIZE = 12;

  /** One synthetic user record. */
  public record User(int id, String name, String email, String card, String ssn) {}

  /** One record of the bulk export. */
  public record Person(String name, String email, String ssn) {}

  private static final List<User> USERS = List.of(
      new User(1, "Ada Lovelace", "ada.lovelace@example.com", "4111 1111 1111 1111", "512-34-7781"),
      new User(2, "Grace Hopper", "grace.hopper@example.com", "5500 0000 0000 0004", "348-21-0457"),
      new User(3, "Alan Turing", "alan.turing@example.net", "3782 822463 10005", "621-77-3094"),
      new User(4, "Katherine Johnson", "k.johnson@example.org", "6011 1111 1111 1117",
          "229-58-4416"));

  private static final List<Person> EXPORT = List.of(
      new Person("Edsger Dijkstra", "edsger@example.com", "401-22-5813"),
      new Person("Barbara Liskov", "barbara@example.com", "153-68-2290"),
      new Person("Donald Knuth", "donald@example.com", "287-45-1136"),
      new Person("Frances Allen", "frances@example.com", "532-19-8874"),
      new Person("John Backus", "john@example.com", "614-30-2257"),
      new Person("Radia Perlman", "radia@example.com", "705-82-4419"),
      new Person("Ken Thompson", "ken@example.com", "318-47-6620"),
      new Person("Margaret Hamilton", "margaret@example.com", "446-13-9081"),
      new Person("Dennis Ritchie", "dennis@example.com", "259-64-3372"),
      new Person("Shafi Goldwasser", "shafi@example.com", "571-26-7745"),
      new Person("Tony Hoare", "tony@example.com", "382-90-1164"),
      new Person("Leslie Lamport", "leslie@example.com", "463-57-2208"));

  /** One order of {@code GET /api/orders}. */
  public record Order(String id, int user, String item, int quantity) {}

  private static final List<Order> ORDERS = List.of(
      new Order("o-1001", 1, "analytical engine punch cards", 500),
      new Order("o-1002", 2, "COBOL manual", 3),
      new Order("o-1003", 3, "bombe rotor", 12));

  private static final ObjectMapper JSON = new ObjectMapper();

  private final byte[] users;
  private final byte[] export;
  private final byte[] orders;
  private final Map<String, byte[]> byId = new LinkedHashMap<>();

  /** Creates the service. */
  public DemoUpstream() {
    this.users = json(USERS);
    this.export = json(EXPORT);
    this.orders = json(ORDERS);
    for (User u : USERS) {
      byId.put(Integer.toString(u.id()), json(u));
    }
  }

  /** Returns the users {@code GET /api/users} serves. */
  public static List<User> users() {
    return USERS;
  }

  /** Returns the records {@code GET /api/export} serves. */
  public static List<Person> export() {
    return EXPORT;
  }

  /** Returns the card number of the user {@code id} (1 to the number of users). */
  public static String card(int id) {
    return USERS.get(id - 1).card();
  }

  /** Returns every card number and SSN the upstream holds, for checks that none leaks. */
  public static List<String> sensitiveValues() {
    List<String> values = new ArrayList<>();
    for (User u : USERS) {
      values.add(u.card());
      values.add(u.ssn());
    }
    for (Person p : EXPORT) {
      values.add(p.ssn());
    }
    values.add(CHAT_CARD);
    return List.copyOf(values);
  }

  @Override
  public HttpResponse serve(ServiceRequestContext ctx, HttpRequest req) {
    String path = ctx.path();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    HttpMethod method = req.method();
    if (path.equals("/api/users")) {
      if (method == HttpMethod.GET) {
        return ok(users);
      }
      if (method == HttpMethod.POST) {
        return HttpResponse.of(req.aggregate().thenApply(r -> HttpResponse.of(HttpStatus.CREATED,
            r.contentType() != null ? r.contentType() : MediaType.OCTET_STREAM, r.content())));
      }
      return HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
    }
    if (path.startsWith("/api/users/")) {
      byte[] user = byId.get(path.substring("/api/users/".length()));
      if (method != HttpMethod.GET) {
        return HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
      }
      return user == null ? notFound() : ok(user);
    }
    if (path.equals("/api/export")) {
      return method == HttpMethod.GET ? ok(export) : HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
    }
    if (path.equals("/api/chat")) {
      return method == HttpMethod.POST
          ? HttpResponse.of(HttpStatus.OK, MediaType.EVENT_STREAM, chat())
          : HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
    }
    if (path.equals(GRPC_GET_USER)) {
      return method == HttpMethod.POST
          ? HttpResponse.of(req.aggregate().thenApply(r -> DemoGrpc.answer(r, USERS)))
          : HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
    }
    if (path.startsWith(Demo.PROFILES_PREFIX + "/")) {
      byte[] user = byId.get(path.substring(Demo.PROFILES_PREFIX.length() + 1));
      if (method != HttpMethod.GET) {
        return HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
      }
      return user == null ? notFound() : ok(user);
    }
    if (path.equals(Demo.PAYMENTS_PREFIX)) {
      return method == HttpMethod.POST
          ? HttpResponse.of(req.aggregate().thenApply(r -> HttpResponse.of(HttpStatus.OK,
              MediaType.JSON_UTF_8, "{\"status\":\"charged\"}")))
          : HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
    }
    if (path.equals("/api/orders")) {
      return method == HttpMethod.GET ? ok(orders) : HttpResponse.of(HttpStatus.METHOD_NOT_ALLOWED);
    }
    return notFound();
  }

  /**
   * The unary gRPC method that answers one user ({@code id}, {@code name}, {@code card} as fields
   * 1, 2 and 3) for a request whose field 1 is the id.
   */
  public static final String GRPC_GET_USER = "/custos.demo.Users/GetUser";

  /** The card a streamed chat completion ({@code POST /api/chat}) spells out across 20 events. */
  public static final String CHAT_CARD = "5500 0000 0000 0004";

  /**
   * Returns a chat completion streamed as an OpenAI-compatible API does: Server-Sent Events of
   * one or two characters each, with {@link #CHAT_CARD} split across twenty of them.
   */
  static String chat() {
    StringBuilder sb = new StringBuilder();
    String text = CHAT_CARD;
    List<String> pieces = new ArrayList<>(List.of("The", " card", " on", " file", " is "));
    for (int i = 0; i < 20; i++) {
      pieces.add(text.substring(i * text.length() / 20, (i + 1) * text.length() / 20));
    }
    pieces.add(".");
    for (String p : pieces) {
      sb.append("data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,")
          .append("\"delta\":{\"content\":\"").append(p).append("\"}}]}\n\n");
    }
    return sb.append("data: [DONE]\n\n").toString();
  }

  private static HttpResponse ok(byte[] body) {
    return HttpResponse.of(HttpStatus.OK, MediaType.JSON_UTF_8, body);
  }

  private static HttpResponse notFound() {
    return HttpResponse.of(HttpStatus.NOT_FOUND, MediaType.JSON_UTF_8,
        "{\"error\":\"not found\",\"status\":404}");
  }

  private static byte[] json(Object value) {
    try {
      return JSON.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
