package io.pledge.bench.scenario;

import io.pledge.bench.sut.SystemUnderTest;

/** Brings up (or connects to) the servers a scenario needs. */
public interface Deployer extends AutoCloseable {

  /** The system for {@code scenario}; closing it stops what was started for it. */
  SystemUnderTest deploy(Scenario scenario) throws Exception;

  /** Where the servers run, for the report. */
  String description();

  @Override
  void close();
}
