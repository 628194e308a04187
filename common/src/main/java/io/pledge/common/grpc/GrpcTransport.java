package io.pledge.common.grpc;

import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;

/**
 * HTTP client options made fit for gRPC. Vert.x's gRPC client uses caller-given options as they are, and their
 * defaults speak HTTP/1.1, so every client Pledge builds goes through here: HTTP/2 with prior knowledge
 * on plaintext, ALPN under TLS.
 */
public final class GrpcTransport {

  private GrpcTransport() {}

  public static HttpClientOptions of(HttpClientOptions options) {
    HttpClientOptions copy = new HttpClientOptions(options).setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false);
    return copy.isSsl() ? copy.setUseAlpn(true) : copy;
  }
}
