package io.pledge.chaos;

import java.time.Duration;

/**
 * One chaos run: the seed every random choice comes from (print it; the same seed replays the same schedule), the
 * clients, how many faults of each kind, and the bounds the audit holds the system to.
 *
 * @param seed the nemesis' and the clients' random seed
 * @param clients transfers in flight at once
 * @param carelessPercent share of clients that ignore a failed call and commit anyway
 * @param kills kill -9 (and restart) of each kind of process: coordinator, lock service, each bank
 * @param pauses SIGSTOP (and SIGCONT) of each kind of process
 * @param downtime how long a killed process stays down, at most (at least a quarter of it)
 * @param pauseFor how long a frozen process stays frozen, at most (at least half of it)
 * @param gap quiet time between two faults, at most (at least half of it)
 * @param overlap whether a fault may start while the previous one is still in force
 * @param settleTimeout how long after the faults the system has to settle before the audit judges
 * @param txTimeout the transactions' timeout (Begin): bounds how long a stranded branch may live
 */
public record ChaosSettings(long seed, int clients, int carelessPercent, int kills, int pauses, Duration downtime,
    Duration pauseFor, Duration gap, boolean overlap, int accounts, long initialBalance, Duration lockLease,
    Duration settleTimeout, Duration txTimeout) {

  public ChaosSettings {
    if (clients < 1 || kills < 0 || pauses < 0 || accounts < 1 || carelessPercent < 0 || carelessPercent > 100) {
      throw new IllegalArgumentException("bad chaos settings");
    }
  }

  /** What CI runs: two kills and one freeze of each kind of process, about two minutes of faults. */
  public static ChaosSettings ci(long seed) {
    return new ChaosSettings(seed, 8, 30, 2, 1, Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(3),
        false, 10, 100_000, Duration.ofSeconds(4), Duration.ofSeconds(90), Duration.ofSeconds(15));
  }

  /** The long run for the note: at least 50 faults (8 kills and 5 freezes of each of the four kinds: 52). */
  public static ChaosSettings longRun(long seed) {
    return new ChaosSettings(seed, 8, 30, 8, 5, Duration.ofSeconds(4), Duration.ofSeconds(7), Duration.ofSeconds(4),
        false, 10, 100_000, Duration.ofSeconds(4), Duration.ofSeconds(120), Duration.ofSeconds(15));
  }

  public int faults() {
    return (kills + pauses) * 4;
  }
}
