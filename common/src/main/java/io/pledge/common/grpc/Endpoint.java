package io.pledge.common.grpc;

import io.vertx.core.net.SocketAddress;
import java.util.regex.Pattern;

/** A {@code host:port} network endpoint, validated; IPv6 literals are written in brackets ({@code [::1]:7400}). */
public record Endpoint(String host, int port) {

  public static final int MAX_LENGTH = 255;
  // Compiled once: String.matches compiles its regex on every call, and a Commit's participants are parsed each time.
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._:-]+");
  private static final Pattern PORT = Pattern.compile("-?\\d+");

  public Endpoint {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("endpoint host is empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("endpoint port " + port + " is out of range 1..65535");
    }
  }

  /**
   * Parses {@code host:port}.
   *
   * @throws IllegalArgumentException with a message fit for a user, when the text is not a usable endpoint
   */
  public static Endpoint parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("endpoint is empty; expected host:port");
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("endpoint is longer than " + MAX_LENGTH + " characters");
    }
    if (text.startsWith("[") && text.endsWith("]")) {
      throw new IllegalArgumentException("endpoint '" + text + "' has no port: write " + text + ":port");
    }
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException("endpoint '" + text + "' is not host:port");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw new IllegalArgumentException("endpoint '" + text + "': write an IPv6 host in brackets, [::1]:port");
    }
    if (!HOST.matcher(host).matches()) {
      throw new IllegalArgumentException("endpoint '" + text + "' has an invalid host");
    }
    String portText = text.substring(colon + 1);
    if (!PORT.matcher(portText).matches()) {
      throw new IllegalArgumentException("endpoint '" + text + "' has a port that is not a number");
    }
    // A whole number by now: more than five digits can only be out of range.
    int port = portText.length() > 6 ? -1 : Integer.parseInt(portText);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("endpoint port " + portText + " is out of range 1..65535");
    }
    return new Endpoint(host, port);
  }

  public SocketAddress toSocketAddress() {
    return SocketAddress.inetSocketAddress(port, host);
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
