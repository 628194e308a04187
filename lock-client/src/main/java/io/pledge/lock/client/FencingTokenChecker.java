package io.pledge.lock.client;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What a resource protected by a lock keeps: the highest fencing token it has accepted per lock. A request carrying a
 * lower token comes from a holder whose lease ended (or whose grant was lost) and must be rejected; an equal token is
 * the current holder again. Thread-safe. A resource that must survive its own restarts has to store the highest token
 * with the data it protects (same write, same transaction); this in-memory helper is for the process lifetime.
 */
public final class FencingTokenChecker {

  private final ConcurrentMap<String, Long> highest = new ConcurrentHashMap<>();

  /** Accepts (and remembers) the token if it is not older than any accepted before for this lock. */
  public boolean admit(String lock, long token) {
    long[] accepted = {0};
    highest.compute(lock, (k, seen) -> {
      if (seen == null || token >= seen) {
        accepted[0] = 1;
        return token;
      }
      return seen;
    });
    return accepted[0] == 1;
  }

  /** Like {@link #admit} but throws {@link StaleTokenException}. */
  public void check(String lock, long token) {
    if (!admit(lock, token)) {
      throw new StaleTokenException(lock, token, highest.get(lock));
    }
  }

  public long highest(String lock) {
    return highest.getOrDefault(lock, 0L);
  }

  /** A request from a holder that has been superseded. */
  public static final class StaleTokenException extends RuntimeException {
    StaleTokenException(String lock, long token, long highest) {
      super("fencing token " + token + " for lock " + lock + " is stale: " + highest + " was already accepted");
    }
  }
}
