package io.pledge.coordinator.recovery;

/** {@link CoordinatorCrashIT} with four transaction managers on four event loops (issue 16). */
class CoordinatorCrashFourLoopsIT extends CoordinatorCrashIT {

  @Override
  int eventLoops() {
    return 4;
  }
}
