package dev.custos.proxy.internal.relay;

import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequestDecoder;

/**
 * Netty's HTTP/1 request decoder, strict where framing could be read two ways: a request with
 * both Content-Length and Transfer-Encoding, or several Content-Length values, is invalid (the
 * relay answers 400 and closes), as are bare line feeds. Heads longer than the listener's limit
 * fail as too long (431).
 */
final class RelayRequestDecoder extends HttpRequestDecoder {
  RelayRequestDecoder(int headLimit) {
    super(new HttpDecoderConfig()
        .setMaxInitialLineLength(headLimit)
        .setMaxHeaderSize(headLimit)
        .setMaxChunkSize(64 * 1024)
        .setAllowDuplicateContentLengths(false)
        .setStrictLineParsing(true)
        .setValidateHeaders(true));
  }

  @Override
  protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
    throw new IllegalArgumentException("Content-Length with Transfer-Encoding (expected: one)");
  }
}
