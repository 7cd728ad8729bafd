package dev.custos.engine;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The field names and types of protobuf messages, for scanning protobuf and gRPC bodies with
 * descriptors (see {@link Scanner#newStream(ContentType, ProtobufSchema, String)}): a finding's path
 * then names fields ({@code $.user.payment.card_number}), the field name is context as a JSON key
 * is, and a field's declared type decides how it is read (a {@code string} or {@code bytes} field is
 * scanned, a message field walked, a packed scalar skipped). Fields the schema does not know are
 * read as without one. Built by the caller from a {@code FileDescriptorSet} or by hand; the engine
 * does not depend on protobuf-java. Immutable and thread-safe.
 */
public final class ProtobufSchema {
  /** How a field's length-delimited content is read. */
  public enum Kind {
    /** A {@code string}: scanned. */
    STRING,
    /** A {@code bytes} field: scanned as its bytes. */
    BYTES,
    /** A message (or group): walked with its own type. */
    MESSAGE,
    /** Anything else (a packed repeated number, an enum): not scanned. */
    OTHER
  }

  /** One field of a message type. */
  public static final class Field {
    private final int number;
    private final String name;
    private final Kind kind;
    private final boolean repeated;
    private final @Nullable String messageType;

    private Field(int number, String name, Kind kind, boolean repeated, @Nullable String messageType) {
      this.number = number;
      this.name = name;
      this.kind = kind;
      this.repeated = repeated;
      this.messageType = messageType;
    }

    /**
     * Returns a field; {@code messageType} is the full name of a {@link Kind#MESSAGE} field's type
     * ({@code pkg.Outer.Inner}, no leading dot) and null for the other kinds.
     *
     * @throws IllegalArgumentException for a number outside 1 to 2^29 - 1, an empty name, or a
     *     message type given or missing against the kind
     */
    public static Field of(int number, String name, Kind kind, boolean repeated, @Nullable String messageType) {
      requireNonNull(name, "name");
      requireNonNull(kind, "kind");
      if (number < 1 || number > 0x1FFF_FFFF) {
        throw new IllegalArgumentException("field " + name + ": number " + number + " (expected: 1 to 536870911)");
      }
      if (name.isEmpty()) {
        throw new IllegalArgumentException("field " + number + ": empty name (expected: a field name)");
      }
      if ((kind == Kind.MESSAGE) != (messageType != null)) {
        throw new IllegalArgumentException("field " + name + ": kind " + kind + " with message type "
            + messageType + " (expected: a message type for, and only for, a message field)");
      }
      return new Field(number, name, kind, repeated, messageType);
    }

    public int number() {
      return number;
    }

    public String name() {
      return name;
    }

    public Kind kind() {
      return kind;
    }

    public boolean repeated() {
      return repeated;
    }

    public @Nullable String messageType() {
      return messageType;
    }

    @Override
    public String toString() {
      return "Field{" + number + " " + name + " " + kind + (repeated ? " repeated" : "")
          + (messageType != null ? " " + messageType : "") + '}';
    }
  }

  /** A message type: its full name and fields by number. */
  public static final class Message {
    private final String fullName;
    private final Map<Integer, Field> fields;

    private Message(String fullName, Map<Integer, Field> fields) {
      this.fullName = fullName;
      this.fields = fields;
    }

    /**
     * Returns a message type.
     *
     * @throws IllegalArgumentException for an empty name or two fields with one number
     */
    public static Message of(String fullName, List<Field> fields) {
      requireNonNull(fullName, "fullName");
      requireNonNull(fields, "fields");
      if (fullName.isEmpty()) {
        throw new IllegalArgumentException("message: empty name (expected: a full name such as pkg.Type)");
      }
      Map<Integer, Field> byNumber = new HashMap<>();
      for (Field f : fields) {
        if (byNumber.put(requireNonNull(f, "field").number(), f) != null) {
          throw new IllegalArgumentException("message " + fullName + ": field number " + f.number()
              + " twice (expected: distinct numbers)");
        }
      }
      return new Message(fullName, Map.copyOf(byNumber));
    }

    public String fullName() {
      return fullName;
    }

    /** Returns the field with this number, or null. */
    public @Nullable Field field(int number) {
      return fields.get(number);
    }

    @Override
    public String toString() {
      return "Message{" + fullName + ", " + fields.size() + " fields}";
    }
  }

  private final Map<String, Message> messages;

  private ProtobufSchema(Map<String, Message> messages) {
    this.messages = messages;
  }

  /**
   * Returns a schema of these message types.
   *
   * @throws IllegalArgumentException for a type named twice, or a message field whose type is not
   *     among them
   */
  public static ProtobufSchema of(Collection<Message> messages) {
    requireNonNull(messages, "messages");
    Map<String, Message> byName = new LinkedHashMap<>();
    for (Message m : messages) {
      if (byName.put(requireNonNull(m, "message").fullName(), m) != null) {
        throw new IllegalArgumentException("message " + m.fullName() + ": defined twice (expected: one definition)");
      }
    }
    for (Message m : byName.values()) {
      for (Field f : m.fields.values()) {
        if (f.messageType() != null && !byName.containsKey(f.messageType())) {
          throw new IllegalArgumentException("message " + m.fullName() + ", field " + f.name() + ": type "
              + f.messageType() + " is not in the schema (expected: every message type a field uses)");
        }
      }
    }
    return new ProtobufSchema(Map.copyOf(byName));
  }

  /** Returns the message type of this full name ({@code pkg.Type}), or null. */
  public @Nullable Message message(String fullName) {
    return messages.get(requireNonNull(fullName, "fullName"));
  }

  @Override
  public String toString() {
    return "ProtobufSchema{" + messages.size() + " message types}";
  }
}
