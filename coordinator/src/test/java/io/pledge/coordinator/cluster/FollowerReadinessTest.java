package io.pledge.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When a member that does not lead answers ready: caught up with the leader's commit, not only with its own. */
class FollowerReadinessTest {

  @Test
  void aFollowerFarBehindTheLeadersCommitIsNotReadyEvenWhenItAppliedAllItHolds() {
    // Its log holds entries up to 500, all committed and applied; the leader has committed 90,000.
    assertFalse(RaftNode.followerCaughtUp(true, 500, 500, 90_000, 100));
  }

  @Test
  void aFollowerAFewEntriesBehindUnderSteadyLoadIsReady() {
    assertTrue(RaftNode.followerCaughtUp(true, 89_950, 89_950, 90_000, 100));
    assertTrue(RaftNode.followerCaughtUp(true, 90_000, 90_000, 90_000, 100));
  }

  @Test
  void notReadyWithoutALeaderBeforeHearingFromItOrWithCommittedEntriesNotYetApplied() {
    assertFalse(RaftNode.followerCaughtUp(false, 90_000, 90_000, 90_000, 100));
    assertFalse(RaftNode.followerCaughtUp(true, 90_000, 90_000, -1, 100));
    assertFalse(RaftNode.followerCaughtUp(true, 89_990, 90_000, 90_000, 100));
  }
}
