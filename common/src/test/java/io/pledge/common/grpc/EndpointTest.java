package io.pledge.common.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {

  static String error(String text) {
    return assertThrows(IllegalArgumentException.class, () -> Endpoint.parse(text)).getMessage();
  }

  @ParameterizedTest
  @CsvSource({
      "localhost:7400, localhost, 7400",
      "coordinator-1.pledge.internal:1, coordinator-1.pledge.internal, 1",
      "10.0.0.7:65535, 10.0.0.7, 65535",
      "under_score:80, under_score, 80",
      "'[::1]:7400', ::1, 7400",
      "'[fe80::1:2]:443', fe80::1:2, 443"})
  void parses(String text, String host, int port) {
    Endpoint endpoint = Endpoint.parse(text);
    assertEquals(new Endpoint(host, port), endpoint);
    assertEquals(text, endpoint.toString());
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", " ", "\t"})
  void empty(String text) {
    assertEquals("endpoint is empty; expected host:port", error(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "localhost:", ":7400", ":", "[::1]:"})
  void withoutHostOrPort(String text) {
    assertEquals("endpoint '" + text + "' is not host:port", error(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost:0", "localhost:65536", "localhost:-1", "localhost:99999", "localhost:99999999999"})
  void portOutOfRange(String text) {
    String port = text.substring(text.indexOf(':') + 1);
    assertEquals("endpoint port " + port + " is out of range 1..65535", error(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost:http", "localhost:74OO", "localhost:7400 ", "localhost:7.4", "localhost:0x1F",
      "localhost:7400/path", "localhost:+80"})
  void nonNumericPort(String text) {
    assertEquals("endpoint '" + text + "' has a port that is not a number", error(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"::1:7400", "fe80::1:443", "a:b:7400", "::1"})
  void bareIpv6(String text) {
    assertEquals("endpoint '" + text + "': write an IPv6 host in brackets, [::1]:port", error(text));
  }

  @Test
  void bracketedIpv6WithoutPort() {
    String text = "[::1]";
    String message = error(text);
    assertTrue(message.startsWith("endpoint '" + text + "'") && message.contains("[::1]:port"), message);
  }

  @Test
  void tooLong() {
    String host = "h".repeat(Endpoint.MAX_LENGTH - 5);
    assertEquals(host, Endpoint.parse(host + ":7400").host());
    assertEquals("endpoint is longer than 255 characters", error(host + "x:7400"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"local host:7400", "host/path:7400", "user@host:7400", "[]:7400", "héllo:7400",
      " localhost:7400", "http://host:7400", "[::1:7400", "::1]:7400"})
  void badCharacters(String text) {
    String message = error(text);
    assertTrue(message.startsWith("endpoint '" + text + "'"), message);
  }

  @Test
  void hostIsValidatedByTheConstructorToo() {
    assertEquals("endpoint host is empty", assertThrows(IllegalArgumentException.class,
        () -> new Endpoint(" ", 1)).getMessage());
  }
}
