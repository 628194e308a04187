package io.pledge.lock.table;

import io.pledge.lock.table.Decision.Code;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The lock table's rules, as pure functions from (state, request, now) to (new state, decision): no I/O, no clock, no
 * threads. The cluster layer runs them inside Hazelcast entry processors, where they are atomic per lock.
 *
 * <p>Rules:
 * <ul>
 *   <li>every operation first ends expired leases ({@code expiresAt <= now}) and lets waiters in;</li>
 *   <li>a grant needs the queue to be empty (FIFO: nobody overtakes a waiter), compatible holders and the
 *       lock-delay passed;</li>
 *   <li>a new grant or an upgrade gets a fresh fencing token, {@code max(lastToken + 1, now * 1024)}: strictly
 *       increasing per lock, and, because it follows the clock, higher than any token a lost or merged-away copy of
 *       this state could have issued earlier (see docs/lock-service.md);</li>
 *   <li>a reentrant acquire (the owner already holds a covering mode) counts and keeps the token;</li>
 *   <li>a sole SHARED holder asking EXCLUSIVE is upgraded at once; otherwise it waits at the head of the queue;</li>
 *   <li>a refused request returns the state it was given (after expiry), unchanged.</li>
 * </ul>
 */
public final class LockTable {

  /** Token ticks per millisecond of the clock floor: room for 1024 grants per ms on one lock before it drifts. */
  public static final long TOKEN_TICKS_PER_MS = 1024;

  private LockTable() {}

  /** A new state with what was decided. */
  public record Step(LockState state, Decision decision) {
    public Step {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(decision, "decision");
    }
  }

  /** An acquire request. {@code requestId} becomes the wait id if the owner has to wait. */
  public record Acquire(String owner, LockMode mode, long leaseMs, boolean mayWait, String requestId,
      String identity) {

    /** An acquire by a caller whose identity is not known. */
    public Acquire(String owner, LockMode mode, long leaseMs, boolean mayWait, String requestId) {
      this(owner, mode, leaseMs, mayWait, requestId, "");
    }

    public Acquire {
      identity = identity == null ? "" : identity;
      Objects.requireNonNull(owner, "owner");
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(requestId, "requestId");
      if (leaseMs < 1) {
        throw new IllegalArgumentException("lease must be positive: " + leaseMs);
      }
    }
  }

  private record Swept(LockState state, List<Holder> expired, List<Holder> promoted) {}

  public static Step acquire(LockState given, Acquire req, long now) {
    Swept swept = sweep(given, now);
    LockState s = swept.state;
    var held = s.holder(req.owner());
    String bound = held.map(Holder::identity)
        .or(() -> s.waiterFor(req.owner()).map(Waiter::identity)).orElse("");
    if (!mayAct(req.identity(), bound)) {
      return notOwner(s, "acquire lock " + s.name() + " under", req.owner(), req.identity());
    }
    if (held.isPresent()) {
      Holder h = held.get();
      if (h.mode().covers(req.mode())) {
        Holder again = h.withCount(h.count() + 1).withExpiry(Math.max(h.expiresAt(), now + req.leaseMs()));
        return grantStep(s, replace(s.holders(), h, again), s.waiters(), s.lastToken(), Code.REENTERED, again, swept);
      }
      if (s.holders().size() == 1 && now >= s.notBefore()) {
        long token = nextToken(s, now);
        Holder up = new Holder(h.owner(), LockMode.EXCLUSIVE, token, h.count() + 1,
            Math.max(h.expiresAt(), now + req.leaseMs()), req.requestId(), h.identity());
        return grantStep(s, List.of(up), s.waiters(), token, Code.UPGRADED, up, swept);
      }
    } else if (s.waiters().isEmpty() && now >= s.notBefore() && compatible(s.holders(), req.mode())) {
      long token = nextToken(s, now);
      Holder h = new Holder(req.owner(), req.mode(), token, 1, now + req.leaseMs(), req.requestId(),
          req.identity());
      List<Holder> holders = new ArrayList<>(s.holders());
      holders.add(h);
      return grantStep(s, holders, s.waiters(), token, Code.GRANTED, h, swept);
    }
    if (s.waiterFor(req.owner()).isPresent()) {
      return refuse(s, Code.ALREADY_WAITING, "owner " + req.owner() + " already waits for lock " + s.name(),
          List.of());
    }
    if (!req.mayWait()) {
      List<String> holders = s.holders().stream().map(Holder::owner).toList();
      String why = now < s.notBefore() ? "lock " + s.name() + " is in lock-delay after a cluster change for "
          + (s.notBefore() - now) + " ms more" : "lock " + s.name() + " is held by " + holders
          + (s.waiters().isEmpty() ? "" : " with " + s.waiters().size() + " waiting");
      return refuse(s, Code.BUSY, "LOCK_BUSY: " + why, holders);
    }
    Waiter w = new Waiter(req.owner(), req.mode(), req.leaseMs(), now, req.requestId(),
        held.map(Holder::identity).filter(i -> !i.isEmpty()).orElse(req.identity()));
    List<Waiter> queue = new ArrayList<>(s.waiters());
    if (held.isPresent()) {
      queue.add(0, w); // an upgrade goes first: it already holds the lock, letting others pass would deadlock it
    } else {
      queue.add(w);
    }
    LockState queued = s.with(s.holders(), queue, s.lastToken(), s.cancellations());
    return new Step(queued, new Decision(Code.QUEUED, "", null, queued.position(w.waitId()),
        queued.blockedBy(w.waitId()), swept.promoted, swept.expired));
  }

  /** Extends the owner's lease to {@code now + leaseMs}. Anyone knowing owner and token may renew. */
  public static Step renew(LockState given, String owner, long token, long leaseMs, long now) {
    return renew(given, owner, token, leaseMs, null, now);
  }

  /**
   * What a holder claims about its grant when it renews, so that a lock lost by the service (restart, every copy
   * lost) can be re-created during its grace.
   */
  public record Reassertion(LockMode mode, int count) {
    public Reassertion {
      Objects.requireNonNull(mode, "mode");
      count = Math.max(1, count);
    }
  }

  /**
   * Like {@link #renew(LockState, String, long, long, long)}; with a {@code reassertion}, a lock in its lock-delay
   * (the start-up grace after a restart, or the delay after a membership change: no new grant is made then) that does
   * not know this grant re-creates it, with the holder's token, mode and count. The grant must be unknown to the
   * state ({@code token > lastToken}: the state never saw it, so it was lost with the state). A holder it conflicts
   * with that has a lower token had ended before this grant was made (tokens increase per lock), so it is removed;
   * one with a higher token wins and the re-assertion is refused.
   */
  public static Step renew(LockState given, String owner, long token, long leaseMs, Reassertion reassertion,
      long now) {
    return renew(given, owner, token, leaseMs, reassertion, "", now);
  }

  /**
   * Like {@link #renew(LockState, String, long, long, Reassertion, long)} by {@code caller} (a TLS identity; empty
   * when none is known or the caller is an operator): refused NOT_OWNER when the grant was made to another identity.
   * A re-created grant is the caller's.
   */
  public static Step renew(LockState given, String owner, long token, long leaseMs, Reassertion reassertion,
      String caller, long now) {
    Swept swept = sweep(given, now);
    LockState s = swept.state;
    var held = s.holder(owner);
    if (held.isEmpty() && reassertion != null && now < s.notBefore()) {
      return reassert(s, swept, owner, token, leaseMs, reassertion, caller, now);
    }
    if (held.isEmpty()) {
      return refuse(s, Code.NOT_HELD, "owner " + owner + " does not hold lock " + s.name()
          + " (never granted, released, or its lease expired)", List.of());
    }
    if (!mayAct(caller, held.get().identity())) {
      return notOwner(s, "renew lock " + s.name() + " for", owner, caller);
    }
    if (held.get().token() == token && reassertion != null && REASSERTED.equals(held.get().grantId())
        && held.get().count() < reassertion.count()) {
      // Several handles of one reentrant owner re-assert in turn: the largest count they know is the grant's.
      held = java.util.Optional.of(held.get().withCount(reassertion.count()));
      s = s.with(replace(s.holders(), s.holder(owner).orElseThrow(), held.get()), s.waiters(), s.lastToken(),
          s.cancellations());
    }
    if (held.get().token() != token) {
      return refuse(s, Code.TOKEN_MISMATCH, "token " + token + " is not the current grant of " + owner + " on lock "
          + s.name() + " (current token " + held.get().token() + ")", List.of());
    }
    Holder renewed = held.get().withExpiry(now + leaseMs);
    LockState next = s.with(replace(s.holders(), held.get(), renewed), s.waiters(), s.lastToken(),
        s.cancellations());
    return new Step(next, Decision.of(Code.RENEWED, renewed, swept.promoted, swept.expired));
  }

  /** The grant id of a holder re-created by a re-assertion (it came from no request or wait of this state). */
  public static final String REASSERTED = "reasserted";

  private static Step reassert(LockState s, Swept swept, String owner, long token, long leaseMs,
      Reassertion claim, String caller, long now) {
    if (token <= s.lastToken()) {
      return refuse(s, Code.NOT_HELD, "owner " + owner + " does not hold lock " + s.name() + " and cannot re-assert"
          + " token " + token + ": the lock's state has issued up to token " + s.lastToken() + " since (released,"
          + " expired, or granted to another)", List.of());
    }
    List<Holder> kept = new ArrayList<>();
    List<Holder> ended = new ArrayList<>(swept.expired);
    for (Holder h : s.holders()) {
      if (h.mode().compatibleWith(claim.mode())) {
        kept.add(h);
      } else if (h.token() > token) {
        return refuse(s, Code.NOT_HELD, "owner " + owner + " cannot re-assert lock " + s.name() + " with token "
            + token + ": " + h.owner() + " holds it with the later token " + h.token(), List.of());
      } else {
        ended.add(h); // granted before this claim's grant, so it had ended when that grant was made
      }
    }
    Holder back = new Holder(owner, claim.mode(), token, claim.count(), now + leaseMs, REASSERTED, caller);
    kept.add(back);
    LockState next = s.with(kept, s.waiters(), s.lastToken(), s.cancellations());
    return new Step(next, Decision.of(Code.REASSERTED, back, swept.promoted, ended));
  }

  /**
   * Issue 14: an owner name is bound to the identity that acquired under it. A caller whose identity is not known
   * (plaintext, no policy, an operator: empty) or an owner bound to none is not checked.
   */
  static boolean mayAct(String caller, String bound) {
    return caller.isEmpty() || bound.isEmpty() || caller.equals(bound);
  }

  private static Step notOwner(LockState s, String what, String owner, String caller) {
    return refuse(s, Code.NOT_OWNER, "PERMISSION_DENIED: " + caller + " may not " + what + " owner " + owner
        + ": only the identity that acquired under an owner, or an operator, may acquire, renew or release as it",
        List.of());
  }

  /** Decrements the hold count; at zero the owner leaves and waiters may enter. */
  public static Step release(LockState given, String owner, long token, long now) {
    return release(given, owner, token, "", now);
  }

  /** Like {@link #release(LockState, String, long, long)} by {@code caller}, as {@link #renew} checks it. */
  public static Step release(LockState given, String owner, long token, String caller, long now) {
    Swept swept = sweep(given, now);
    LockState s = swept.state;
    var held = s.holder(owner);
    if (held.isEmpty()) {
      return refuse(s, Code.NOT_HELD, "owner " + owner + " does not hold lock " + s.name()
          + " (never granted, already released, or its lease expired)", List.of());
    }
    Holder h = held.get();
    if (!mayAct(caller, h.identity())) {
      return notOwner(s, "release lock " + s.name() + " for", owner, caller);
    }
    if (h.token() != token) {
      return refuse(s, Code.TOKEN_MISMATCH, "token " + token + " is not the current grant of " + owner + " on lock "
          + s.name() + " (current token " + h.token() + ")", List.of());
    }
    List<Holder> holders = new ArrayList<>(s.holders());
    Holder left = null;
    if (h.count() > 1) {
      left = h.withCount(h.count() - 1);
      holders.set(holders.indexOf(h), left);
    } else {
      holders.remove(h);
    }
    LockState released = s.with(holders, s.waiters(), s.lastToken(), s.cancellations());
    Swept after = promote(released, now);
    return new Step(after.state, Decision.of(Code.RELEASED, left, concat(swept.promoted, after.promoted),
        swept.expired));
  }

  /** Drops the owner's grant whatever its count and withdraws its waits. Idempotent. */
  public static Step releaseAll(LockState given, String owner, long now) {
    Swept swept = sweep(given, now);
    LockState s = swept.state;
    var held = s.holder(owner);
    List<Waiter> waits = s.waiters().stream().filter(w -> w.owner().equals(owner)).toList();
    if (held.isEmpty() && waits.isEmpty()) {
      return new Step(s, new Decision(Code.RELEASED_ALL, "", null, 0, List.of(), swept.promoted, swept.expired));
    }
    List<Holder> holders = new ArrayList<>(s.holders());
    held.ifPresent(holders::remove);
    List<Waiter> queue = new ArrayList<>(s.waiters());
    queue.removeAll(waits);
    List<Cancellation> cancels = s.cancellations();
    for (Waiter w : waits) {
      cancels = remember(cancels, new Cancellation(w.waitId(), "CANCELLED: ReleaseAll for owner " + owner
          + " withdrew the wait"));
    }
    Swept after = promote(s.with(holders, queue, s.lastToken(), cancels), now);
    return new Step(after.state, new Decision(Code.RELEASED_ALL, "", held.orElse(null), waits.size(), List.of(),
        concat(swept.promoted, after.promoted), swept.expired));
  }

  /**
   * Withdraws a wait (timeout, client gone, deadlock victim). If it was granted meanwhile the grant stands and is
   * returned: the caller decides whether to keep or release it.
   */
  public static Step cancelWait(LockState given, String waitId, String reason, long now) {
    Swept swept = sweep(given, now);
    LockState s = swept.state;
    var granted = s.grantedBy(waitId);
    if (granted.isPresent()) {
      return new Step(s, Decision.of(Code.GRANTED_BEFORE_CANCEL, granted.get(), swept.promoted, swept.expired));
    }
    var waiting = s.waiter(waitId);
    if (waiting.isEmpty()) {
      return refuse(s, Code.NOT_WAITING, "wait " + waitId + " is not queued for lock " + s.name(), List.of());
    }
    List<Waiter> queue = new ArrayList<>(s.waiters());
    queue.remove(waiting.get());
    LockState cancelled = s.with(s.holders(), queue, s.lastToken(),
        remember(s.cancellations(), new Cancellation(waitId, reason)));
    Swept after = promote(cancelled, now); // the withdrawn waiter may have been the one blocking those behind it
    return new Step(after.state, Decision.of(Code.CANCELLED, null, concat(swept.promoted, after.promoted),
        swept.expired));
  }

  /** Ends expired leases and grants whoever can now enter: what a timer runs at {@link LockState#nextWakeAt}. */
  public static Step tick(LockState given, long now) {
    Swept swept = sweep(given, now);
    return new Step(swept.state, Decision.of(Code.PROMOTED, null, swept.promoted, swept.expired));
  }

  /**
   * Above the last token issued and above every current holder's (a re-asserted holder keeps a token this state
   * never issued, see {@link #reassert}).
   */
  static long nextToken(LockState s, long now) {
    long floor = s.lastToken();
    for (Holder h : s.holders()) {
      floor = Math.max(floor, h.token());
    }
    return Math.max(floor + 1, now * TOKEN_TICKS_PER_MS);
  }

  private static Swept sweep(LockState s, long now) {
    List<Holder> expired = s.holders().stream().filter(h -> h.expiresAt() <= now).toList();
    LockState live = expired.isEmpty() ? s : s.with(s.holders().stream().filter(h -> h.expiresAt() > now).toList(),
        s.waiters(), s.lastToken(), s.cancellations());
    Swept promoted = promote(live, now);
    return new Swept(promoted.state, expired, promoted.promoted);
  }

  private static Swept promote(LockState s, long now) {
    if (now < s.notBefore()) {
      return new Swept(s, List.of(), List.of());
    }
    List<Holder> holders = new ArrayList<>(s.holders());
    List<Waiter> queue = new ArrayList<>(s.waiters());
    List<Holder> granted = new ArrayList<>();
    long token = nextToken(s, now) - 1;
    while (!queue.isEmpty()) {
      Waiter w = queue.get(0);
      Holder mine = holders.stream().filter(h -> h.owner().equals(w.owner())).findFirst().orElse(null);
      if (mine != null) {
        if (holders.size() != 1) {
          break;
        }
        token = Math.max(token + 1, now * TOKEN_TICKS_PER_MS);
        Holder up = new Holder(w.owner(), LockMode.EXCLUSIVE, token, mine.count() + 1,
            Math.max(mine.expiresAt(), now + w.leaseMs()), w.waitId(), mine.identity());
        holders.set(0, up);
        granted.add(up);
      } else if (compatible(holders, w.mode())) {
        token = Math.max(token + 1, now * TOKEN_TICKS_PER_MS);
        Holder h = new Holder(w.owner(), w.mode(), token, 1, now + w.leaseMs(), w.waitId(), w.identity());
        holders.add(h);
        granted.add(h);
      } else {
        break;
      }
      queue.remove(0);
    }
    if (granted.isEmpty()) {
      return new Swept(s, List.of(), List.of());
    }
    return new Swept(s.with(holders, queue, token, s.cancellations()), List.of(), granted);
  }

  private static boolean compatible(List<Holder> holders, LockMode mode) {
    return holders.stream().allMatch(h -> h.mode().compatibleWith(mode));
  }

  private static Step grantStep(LockState s, List<Holder> holders, List<Waiter> waiters, long token, Code code,
      Holder holder, Swept swept) {
    return new Step(s.with(holders, waiters, token, s.cancellations()),
        Decision.of(code, holder, swept.promoted, swept.expired));
  }

  private static Step refuse(LockState s, Code code, String message, List<String> blockedBy) {
    return new Step(s, Decision.refused(code, message, blockedBy));
  }

  private static List<Holder> replace(List<Holder> holders, Holder old, Holder now) {
    List<Holder> out = new ArrayList<>(holders);
    out.set(out.indexOf(old), now);
    return out;
  }

  private static List<Cancellation> remember(List<Cancellation> cancels, Cancellation c) {
    List<Cancellation> out = new ArrayList<>(cancels);
    out.add(c);
    while (out.size() > LockState.MAX_CANCELLATIONS) {
      out.remove(0);
    }
    return out;
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    if (a.isEmpty()) {
      return b;
    }
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
