package io.pledge.testkit;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * A gRPC client at the HTTP/2 level, for what the generated stubs cannot send: raw or malformed bytes, compressed
 * messages, odd headers. It reads what the server really put on the wire: the status and the still percent-encoded
 * {@code grpc-message}, whether the stream was reset instead.
 */
public final class RawGrpc implements AutoCloseable {

  /** What came back: {@code status} -1 and {@code resetCode} set when the stream was reset without a status. */
  public record Reply(int status, String rawMessage, long resetCode, Buffer body) {

    public String message() {
      return rawMessage == null ? null : java.net.URLDecoder.decode(rawMessage.replace("+", "%2B"),
          java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return status >= 0 ? "status " + status + " '" + rawMessage + "'" : "stream reset with code " + resetCode;
    }
  }

  private final HttpClient http;
  private final int port;

  public RawGrpc(Vertx vertx, int port) {
    this.http = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
    this.port = port;
  }

  /** One gRPC frame: the compressed flag, the length, the bytes. */
  public static Buffer frame(byte[] message, boolean compressed) {
    return Buffer.buffer().appendByte((byte) (compressed ? 1 : 0)).appendInt(message.length).appendBytes(message);
  }

  /** {@code size} zero bytes, gzipped: a few hundred KB that inflate to {@code size}. */
  public static byte[] gzipBomb(int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      byte[] zeros = new byte[1 << 20];
      for (int written = 0; written < size; written += zeros.length) {
        gzip.write(zeros, 0, Math.min(zeros.length, size - written));
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  /** Calls {@code /service/method} with {@code body} as the request stream and extra {@code headers}. */
  public Future<Reply> call(String fullMethod, Map<String, String> headers, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/" + fullMethod).putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    headers.forEach(options::putHeader);
    return http.request(options).compose(request -> request.send(body).compose(response -> response.body()
        .map(received -> {
          MultiMap trailers = response.trailers();
          String status = trailers.get("grpc-status") != null ? trailers.get("grpc-status")
              : response.getHeader("grpc-status");
          String message = trailers.get("grpc-status") != null ? trailers.get("grpc-message")
              : response.getHeader("grpc-message");
          return new Reply(status == null ? -1 : Integer.parseInt(status), message, -1, received);
        }))).recover(failure -> failure instanceof StreamResetException reset
            ? Future.succeededFuture(new Reply(-1, null, reset.getCode(), Buffer.buffer()))
            : Future.failedFuture(failure));
  }

  /** Opens a request stream (headers sent, not ended) that stays open until reset or ended by the caller. */
  public Future<io.vertx.core.http.HttpClientRequest> open(String fullMethod) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/" + fullMethod).putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    return http.request(options).compose(request -> request.setChunked(true).sendHead().map(request));
  }

  @Override
  public void close() {
    http.close();
  }
}
