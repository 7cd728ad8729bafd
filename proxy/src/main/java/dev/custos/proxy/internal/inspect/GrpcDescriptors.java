package dev.custos.proxy.internal.inspect;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.custos.engine.ProtobufSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The message types of a {@code FileDescriptorSet} (as {@code protoc --descriptor_set_out}
 * writes it) as the engine reads them, and per gRPC method path ({@code /pkg.Service/Method}) its
 * input and output types. Immutable and thread-safe.
 */
public final class GrpcDescriptors {
  /** A method's request and response message types (full names). */
  record Method(String input, String output) {}

  private final ProtobufSchema schema;
  private final Map<String, Method> methods;

  private GrpcDescriptors(ProtobufSchema schema, Map<String, Method> methods) {
    this.schema = schema;
    this.methods = methods;
  }

  /**
   * Reads a descriptor set file.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or is not a
   *     descriptor set whose types are all defined
   */
  public static GrpcDescriptors load(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": cannot be read (" + e.getClass().getSimpleName()
          + "; expected: a FileDescriptorSet file)");
    }
    try {
      return of(FileDescriptorSet.parseFrom(bytes));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(file + ": not a FileDescriptorSet (expected: the output of"
          + " protoc --descriptor_set_out=FILE --include_imports)");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  /** Returns the descriptors of a parsed set; every type a field or method names must be in it. */
  static GrpcDescriptors of(FileDescriptorSet set) {
    List<ProtobufSchema.Message> messages = new ArrayList<>();
    Map<String, Method> methods = new HashMap<>();
    for (FileDescriptorProto file : set.getFileList()) {
      String prefix = file.getPackage().isEmpty() ? "" : file.getPackage() + ".";
      for (DescriptorProto m : file.getMessageTypeList()) {
        add(prefix + m.getName(), m, messages);
      }
      for (ServiceDescriptorProto s : file.getServiceList()) {
        for (MethodDescriptorProto m : s.getMethodList()) {
          methods.put("/" + prefix + s.getName() + "/" + m.getName(),
              new Method(strip(m.getInputType()), strip(m.getOutputType())));
        }
      }
    }
    ProtobufSchema schema = ProtobufSchema.of(messages);
    for (Map.Entry<String, Method> e : methods.entrySet()) {
      for (String type : List.of(e.getValue().input(), e.getValue().output())) {
        if (schema.message(type) == null) {
          throw new IllegalArgumentException("method " + e.getKey() + ": type " + type
              + " is not in the set (expected: protoc --include_imports)");
        }
      }
    }
    return new GrpcDescriptors(schema, Map.copyOf(methods));
  }

  private static void add(String fullName, DescriptorProto m, List<ProtobufSchema.Message> out) {
    List<ProtobufSchema.Field> fields = new ArrayList<>();
    for (FieldDescriptorProto f : m.getFieldList()) {
      ProtobufSchema.Kind kind = switch (f.getType()) {
        case TYPE_STRING -> ProtobufSchema.Kind.STRING;
        case TYPE_BYTES -> ProtobufSchema.Kind.BYTES;
        case TYPE_MESSAGE -> ProtobufSchema.Kind.MESSAGE;
        default -> ProtobufSchema.Kind.OTHER;
      };
      fields.add(ProtobufSchema.Field.of(f.getNumber(), f.getName(), kind,
          f.getLabel() == FieldDescriptorProto.Label.LABEL_REPEATED,
          kind == ProtobufSchema.Kind.MESSAGE ? strip(f.getTypeName()) : null));
    }
    out.add(ProtobufSchema.Message.of(fullName, fields));
    for (DescriptorProto nested : m.getNestedTypeList()) {
      add(fullName + "." + nested.getName(), nested, out);
    }
  }

  private static String strip(String typeName) {
    return typeName.startsWith(".") ? typeName.substring(1) : typeName;
  }

  ProtobufSchema schema() {
    return schema;
  }

  /** Returns the method of a request path ({@code /pkg.Service/Method}), or null. */
  @Nullable Method method(String path) {
    return methods.get(path);
  }

  @Override
  public String toString() {
    return "GrpcDescriptors{" + schema + ", " + methods.size() + " methods}";
  }
}
