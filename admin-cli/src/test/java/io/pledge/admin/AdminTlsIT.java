package io.pledge.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.common.tls.DevCertificates;
import io.pledge.coordinator.CoordinatorOptions;
import io.pledge.coordinator.CoordinatorServer;
import io.pledge.testkit.Await;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pledge-admin against a coordinator with mutual TLS and a policy: an operator lists, others are told why not. */
class AdminTlsIT {

  @TempDir
  Path dir;
  Vertx vertx;
  CoordinatorServer coordinator;
  DevCertificates ca;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    ca = DevCertificates.authority("admin-ca");
    ca.writeCa(dir.resolve("ca.crt"));
    ca.issue("coordinator", "uri:spiffe://pledge/coordinator", "ip:127.0.0.1").write(dir, "coordinator");
    ca.issue("ops", "uri:spiffe://pledge/ops/alice").write(dir, "ops");
    ca.issue("app", "uri:spiffe://pledge/app/shop").write(dir, "app");
    Files.writeString(dir.resolve("policy"), "spiffe://pledge/ops/* = operator\nspiffe://pledge/app/* = client\n");
    coordinator = Await.result(CoordinatorServer.start(vertx, Config.of(CoordinatorOptions.KEYS, Map.of(
        "grpc.port", "0", "http.port", "0", "data.dir", dir.resolve("data").toString(),
        "tls.cert", dir.resolve("coordinator.crt").toString(), "tls.key", dir.resolve("coordinator.key").toString(),
        "tls.ca", dir.resolve("ca.crt").toString(), "tls.policy", dir.resolve("policy").toString()))));
  }

  @AfterEach
  void stop() {
    Await.result(coordinator.close());
    Await.result(vertx.close());
  }

  private Cli.Run list(String who) {
    return new Cli().run("--coordinator", "127.0.0.1:" + coordinator.grpcPort(), "--tls-ca",
        dir.resolve("ca.crt").toString(), "--tls-cert", dir.resolve(who + ".crt").toString(), "--tls-key",
        dir.resolve(who + ".key").toString(), "tx", "list");
  }

  @Test
  void anOperatorListsAndAClientIsRefusedNamingTheRole() {
    Cli.Run operator = list("ops");
    assertEquals(0, operator.code(), operator::toString);
    Cli.Run client = list("app");
    assertEquals(1, client.code(), client::toString);
    assertTrue(client.err().contains("PERMISSION_DENIED") && client.err().contains("needs role operator"),
        client::toString);
    Cli.Run plaintext = new Cli().run("--coordinator", "127.0.0.1:" + coordinator.grpcPort(), "tx", "list");
    assertEquals(1, plaintext.code(), plaintext::toString);
    Cli.Run keyWithoutCa = new Cli().run("--tls-cert", dir.resolve("ops.crt").toString(), "tx", "list");
    assertEquals(2, keyWithoutCa.code(), keyWithoutCa::toString);
  }
}
