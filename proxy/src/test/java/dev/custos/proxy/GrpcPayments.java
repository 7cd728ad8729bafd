package dev.custos.proxy;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A small gRPC service for tests, defined from a descriptor built here (no protoc plugin):
 * {@code custos.test.Payments} with {@code Pay} (unary), {@code Chat} (bidirectional), {@code
 * Upload} (client streaming: answers how many messages it got) and {@code Tokens} (server streaming:
 * answers what {@link #streamer} makes of the request), all taking and returning
 * {@code Payment { string note = 1; Card card = 2; string padding = 3; }},
 * {@code Card { string number = 1; string holder = 2; }}. The server keeps what it received and
 * answers what {@link #responder} makes of each message (an echo by default).
 */
final class GrpcPayments implements AutoCloseable {
  static final FileDescriptorProto FILE = FileDescriptorProto.newBuilder()
      .setName("payments.proto")
      .setPackage("custos.test")
      .setSyntax("proto3")
      .addMessageType(DescriptorProto.newBuilder().setName("Card")
          .addField(string("number", 1))
          .addField(string("holder", 2)))
      .addMessageType(DescriptorProto.newBuilder().setName("Payment")
          .addField(string("note", 1))
          .addField(FieldDescriptorProto.newBuilder().setName("card").setNumber(2)
              .setType(FieldDescriptorProto.Type.TYPE_MESSAGE).setTypeName(".custos.test.Card")
              .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL))
          .addField(string("padding", 3)))
      .addService(ServiceDescriptorProto.newBuilder().setName("Payments")
          .addMethod(MethodDescriptorProto.newBuilder().setName("Pay")
              .setInputType(".custos.test.Payment").setOutputType(".custos.test.Payment"))
          .addMethod(MethodDescriptorProto.newBuilder().setName("Chat")
              .setInputType(".custos.test.Payment").setOutputType(".custos.test.Payment")
              .setClientStreaming(true).setServerStreaming(true))
          .addMethod(MethodDescriptorProto.newBuilder().setName("Upload")
              .setInputType(".custos.test.Payment").setOutputType(".custos.test.Payment")
              .setClientStreaming(true))
          .addMethod(MethodDescriptorProto.newBuilder().setName("Tokens")
              .setInputType(".custos.test.Payment").setOutputType(".custos.test.Payment")
              .setServerStreaming(true)))
      .build();

  static final Descriptors.FileDescriptor DESCRIPTOR;

  static {
    try {
      DESCRIPTOR = Descriptors.FileDescriptor.buildFrom(FILE, new Descriptors.FileDescriptor[0]);
    } catch (Descriptors.DescriptorValidationException e) {
      throw new IllegalStateException(e);
    }
  }

  static final Descriptor PAYMENT = DESCRIPTOR.findMessageTypeByName("Payment");
  static final Descriptor CARD = DESCRIPTOR.findMessageTypeByName("Card");

  static final MethodDescriptor.Marshaller<DynamicMessage> MARSHALLER =
      ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(PAYMENT));

  static final MethodDescriptor<DynamicMessage, DynamicMessage> PAY =
      MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("custos.test.Payments/Pay")
          .setRequestMarshaller(MARSHALLER)
          .setResponseMarshaller(MARSHALLER)
          .build();

  static final MethodDescriptor<DynamicMessage, DynamicMessage> CHAT =
      MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
          .setType(MethodDescriptor.MethodType.BIDI_STREAMING)
          .setFullMethodName("custos.test.Payments/Chat")
          .setRequestMarshaller(MARSHALLER)
          .setResponseMarshaller(MARSHALLER)
          .build();

  static final MethodDescriptor<DynamicMessage, DynamicMessage> UPLOAD =
      MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
          .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
          .setFullMethodName("custos.test.Payments/Upload")
          .setRequestMarshaller(MARSHALLER)
          .setResponseMarshaller(MARSHALLER)
          .build();

  static final MethodDescriptor<DynamicMessage, DynamicMessage> TOKENS =
      MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
          .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
          .setFullMethodName("custos.test.Payments/Tokens")
          .setRequestMarshaller(MARSHALLER)
          .setResponseMarshaller(MARSHALLER)
          .build();

  /** A message encoding that flags messages compressed but writes them as they are: not gzip. */
  static final io.grpc.Codec NOT_GZIP = new io.grpc.Codec() {
    @Override
    public String getMessageEncoding() {
      return "x-not-gzip";
    }

    @Override
    public java.io.OutputStream compress(java.io.OutputStream os) {
      return os;
    }

    @Override
    public java.io.InputStream decompress(java.io.InputStream is) {
      return is;
    }
  };

  final List<DynamicMessage> received = new CopyOnWriteArrayList<>();
  volatile UnaryOperator<DynamicMessage> responder = m -> m;
  /** What {@code Tokens} streams back for a request (the request alone by default). */
  volatile java.util.function.Function<DynamicMessage, List<DynamicMessage>> streamer = List::of;
  volatile boolean compressResponses;
  private final Server server;

  /** Which gRPC server reflection service the test server offers. */
  enum Reflection { NONE, V1, V1ALPHA }

  GrpcPayments() {
    this(Reflection.NONE);
  }

  @SuppressWarnings("deprecation") // ProtoReflectionService is the v1alpha one, on purpose
  GrpcPayments(Reflection reflection) {
    io.grpc.ServiceDescriptor descriptor = io.grpc.ServiceDescriptor.newBuilder("custos.test.Payments")
        .setSchemaDescriptor((io.grpc.protobuf.ProtoFileDescriptorSupplier) () -> DESCRIPTOR)
        .addMethod(PAY)
        .addMethod(CHAT)
        .addMethod(UPLOAD)
        .addMethod(TOKENS)
        .build();
    ServerServiceDefinition service = ServerServiceDefinition.builder(descriptor)
        .addMethod(PAY, ServerCalls.asyncUnaryCall((req, obs) -> {
          received.add(req);
          compress(obs);
          obs.onNext(responder.apply(req));
          obs.onCompleted();
        }))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(responses -> {
          compress(responses);
          return new StreamObserver<DynamicMessage>() {
            @Override
            public void onNext(DynamicMessage m) {
              received.add(m);
              responses.onNext(responder.apply(m));
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              responses.onCompleted();
            }
          };
        }))
        .addMethod(UPLOAD, ServerCalls.asyncClientStreamingCall(response -> new StreamObserver<DynamicMessage>() {
          private int count;

          @Override
          public void onNext(DynamicMessage m) {
            received.add(m);
            count++;
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {
            response.onNext(payment(String.valueOf(count), "none", ""));
            response.onCompleted();
          }
        }))
        .addMethod(TOKENS, ServerCalls.asyncServerStreamingCall((req, obs) -> {
          received.add(req);
          compress(obs);
          for (DynamicMessage m : streamer.apply(req)) {
            obs.onNext(m);
          }
          obs.onCompleted();
        }))
        .build();
    try {
      NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
          .addService(service);
      if (reflection == Reflection.V1) {
        builder.addService(io.grpc.protobuf.services.ProtoReflectionServiceV1.newInstance());
      } else if (reflection == Reflection.V1ALPHA) {
        builder.addService(io.grpc.protobuf.services.ProtoReflectionService.newInstance());
      }
      server = builder
          .decompressorRegistry(io.grpc.DecompressorRegistry.getDefaultInstance().with(NOT_GZIP, true))
          .build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void compress(StreamObserver<DynamicMessage> obs) {
    if (compressResponses) {
      ((ServerCallStreamObserver<DynamicMessage>) obs).setCompression("gzip");
    }
  }

  int port() {
    return server.getPort();
  }

  static FieldDescriptorProto.Builder string(String name, int number) {
    return FieldDescriptorProto.newBuilder().setName(name).setNumber(number)
        .setType(FieldDescriptorProto.Type.TYPE_STRING).setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL);
  }

  /** Returns a payment with a note, a card number and holder, and padding. */
  static DynamicMessage payment(String note, String cardNumber, String padding) {
    DynamicMessage card = DynamicMessage.newBuilder(CARD)
        .setField(CARD.findFieldByName("number"), cardNumber)
        .setField(CARD.findFieldByName("holder"), "Jane Roe")
        .build();
    return DynamicMessage.newBuilder(PAYMENT)
        .setField(PAYMENT.findFieldByName("note"), note)
        .setField(PAYMENT.findFieldByName("card"), card)
        .setField(PAYMENT.findFieldByName("padding"), padding)
        .build();
  }

  static String note(DynamicMessage m) {
    return (String) m.getField(PAYMENT.findFieldByName("note"));
  }

  static String cardNumber(DynamicMessage m) {
    DynamicMessage card = (DynamicMessage) m.getField(PAYMENT.findFieldByName("card"));
    return (String) card.getField(CARD.findFieldByName("number"));
  }

  /** Returns the descriptor set of the service, as {@code protoc --descriptor_set_out} writes it. */
  static byte[] descriptorSet() {
    return FileDescriptorSet.newBuilder().addFile(FILE).build().toByteArray();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }
}
