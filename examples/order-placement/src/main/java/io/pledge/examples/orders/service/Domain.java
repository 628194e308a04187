package io.pledge.examples.orders.service;

import io.pledge.participant.xa.SqlWork;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * What one example service does with its own database; everything else (HTTP, the XA branch, the participant
 * endpoint, {@code GET /state}) is {@link ServiceHost}'s.
 *
 * <p>Threading: {@link #work} runs on the event loop and must only validate; the JDBC methods, and the
 * {@link SqlWork} it returns, run on a worker.
 */
public interface Domain {

  /** The service's name and participant id: stable across restarts (the coordinator and the log know it by it). */
  String name();

  /** The path of the service's one write, {@code POST <path>?...} with the transaction id header. */
  String workPath();

  /** Creates the tables, and seeds them when they are empty (a restart keeps what is there). */
  void create(Connection connection) throws SQLException;

  /**
   * Validates a request's parameters and returns the JDBC work to run in the transaction's XA branch. The work
   * throws a {@link Refusal} when the data refuses it, having changed nothing that matters (the branch is
   * rolled back in any case).
   *
   * @throws IllegalArgumentException a missing or malformed parameter (answered with 400, no branch is touched)
   */
  SqlWork<JsonObject> work(Params params);

  /** The committed rows, as {@code GET /state} shows them (read outside any branch). */
  JsonObject state(Connection connection) throws SQLException;
}
