package io.pledge.participant.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.common.config.Config;
import io.pledge.participant.client.TxResult;
import io.pledge.participant.endpoint.ParticipantNode;
import io.pledge.participant.endpoint.ParticipantOptions;
import io.pledge.participant.support.FakeCoordinator;
import io.pledge.participant.support.ParticipantCalls;
import io.pledge.participant.xa.XaResourceManager;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps README.md honest: its code blocks are {@link ReadmeExamples}, which compile and run here. */
class ReadmeExamplesTest {

  @TempDir
  Path dir;

  private Vertx vertx;
  private FakeCoordinator coordinator;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    coordinator = FakeCoordinator.start(vertx, 0);
  }

  @AfterEach
  void stop() throws Exception {
    coordinator.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void readmeContainsEveryExampleVerbatim() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String source = Files.readString(Path.of("src/test/java/io/pledge/participant/readme/ReadmeExamples.java"));
    Matcher m = Pattern.compile("// README:(\\w+)\\n(.*?)  // README:end", Pattern.DOTALL).matcher(source);
    int blocks = 0;
    while (m.find()) {
      String unindented = m.group(2).stripTrailing().lines()
          .map(l -> l.startsWith("  ") ? l.substring(2) : l).reduce((a, b) -> a + "\n" + b).orElse("");
      assertTrue(readme.contains(unindented), "README.md lacks the example '" + m.group(1) + "'");
      blocks++;
    }
    assertEquals(4, blocks);
  }

  @Test
  void clientExampleRollsBackWhenAServiceIsDown() throws Exception {
    HttpClient http = vertx.createHttpClient();
    TxResult<Void> result = ReadmeExamples.transfer(vertx, http, coordinator.endpoint()).await(30, TimeUnit.SECONDS);
    assertFalse(result.committed(), "no bank listens on 8081 here: the work fails and the client rolls back");
    assertTrue(result.workFailure().isPresent());
  }

  @Test
  void xaAndSpiExamplesStart() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:file:" + dir.resolve("accounts").toAbsolutePath());
    ds.setUser("sa");
    Config config = Config.of(ParticipantOptions.KEYS, Map.of("coordinator.endpoint", coordinator.endpoint(),
        "participant.data.dir", dir.resolve("xa").toString()));
    XaResourceManager[] accounts = new XaResourceManager[1];
    ParticipantNode node = ReadmeExamples.startParticipant(vertx, config, ds, accounts).await(30, TimeUnit.SECONDS);
    node.close().await(10, TimeUnit.SECONDS);
    accounts[0].close();

    ReadmeExamples.Reservations reservations = new ReadmeExamples.Reservations();
    ParticipantNode withLocks = ReadmeExamples.startWithLocks(vertx, ParticipantOptions.from(Config.of(
        ParticipantOptions.KEYS, Map.of("coordinator.endpoint", coordinator.endpoint(), "participant.data.dir",
            dir.resolve("spi").toString()))), reservations, Set.of("tx-lost")).await(30, TimeUnit.SECONDS);
    try (ParticipantCalls calls = new ParticipantCalls(vertx, withLocks.port())) {
      withLocks.join("reservations", "tx-ok").await(10, TimeUnit.SECONDS);
      reservations.reserve("tx-ok");
      assertEquals(io.pledge.api.v1.Vote.VOTE_YES, calls.prepare("tx-ok", "reservations").getVote());
      calls.commit("tx-ok", "reservations", false);
      assertTrue(reservations.isConfirmed("tx-ok"));
      withLocks.join("reservations", "tx-lost").await(10, TimeUnit.SECONDS);
      reservations.reserve("tx-lost");
      assertEquals(io.pledge.api.v1.Vote.VOTE_NO, calls.prepare("tx-lost", "reservations").getVote());
    } finally {
      withLocks.close().await(10, TimeUnit.SECONDS);
    }
  }
}
