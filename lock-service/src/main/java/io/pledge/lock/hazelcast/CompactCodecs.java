package io.pledge.lock.hazelcast;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.nio.serialization.FieldKind;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import io.pledge.lock.table.Cancellation;
import io.pledge.lock.table.Decision;
import io.pledge.lock.table.Holder;
import io.pledge.lock.table.LockMode;
import io.pledge.lock.table.LockState;
import io.pledge.lock.table.OwnerLocks;
import io.pledge.lock.table.Reply;
import io.pledge.lock.table.WaitEdge;
import io.pledge.lock.table.Waiter;
import java.util.List;

/**
 * Hazelcast Compact serializers for the lock table's records. They live here, not on the records, so that the table
 * stays free of Hazelcast. Every member and client of the cluster must register them ({@link #register}).
 */
public final class CompactCodecs {

  private CompactCodecs() {}

  /** Registers the serializers and the {@link LockDataFactory} for the processors. */
  public static void register(SerializationConfig config) {
    var compact = config.getCompactSerializationConfig();
    compact.addSerializer(new HolderCodec());
    compact.addSerializer(new WaiterCodec());
    compact.addSerializer(new CancellationCodec());
    compact.addSerializer(new StateCodec());
    compact.addSerializer(new DecisionCodec());
    compact.addSerializer(new ReplyCodec());
    compact.addSerializer(new WaitEdgeCodec());
    compact.addSerializer(new OwnerLocksCodec());
    config.addDataSerializableFactory(LockDataFactory.FACTORY_ID, new LockDataFactory());
  }

  /** A holder's or waiter's identity; states written before identities were kept have none. */
  private static String identity(CompactReader in) {
    return in.getFieldKind("identity") == com.hazelcast.nio.serialization.FieldKind.NOT_AVAILABLE ? ""
        : in.readString("identity");
  }

  private static long optionalInt64(CompactReader in, String field) {
    return in.getFieldKind(field) == FieldKind.INT64 ? in.readInt64(field) : Reply.UNKNOWN;
  }

  static final class HolderCodec implements CompactSerializer<Holder> {
    @Override
    public Holder read(CompactReader in) {
      return new Holder(in.readString("owner"), LockMode.valueOf(in.readString("mode")), in.readInt64("token"),
          in.readInt32("count"), in.readInt64("expiresAt"), in.readString("grantId"), identity(in));
    }

    @Override
    public void write(CompactWriter out, Holder h) {
      out.writeString("owner", h.owner());
      out.writeString("mode", h.mode().name());
      out.writeInt64("token", h.token());
      out.writeInt32("count", h.count());
      out.writeInt64("expiresAt", h.expiresAt());
      out.writeString("grantId", h.grantId());
      out.writeString("identity", h.identity());
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.Holder";
    }

    @Override
    public Class<Holder> getCompactClass() {
      return Holder.class;
    }
  }

  static final class WaiterCodec implements CompactSerializer<Waiter> {
    @Override
    public Waiter read(CompactReader in) {
      return new Waiter(in.readString("owner"), LockMode.valueOf(in.readString("mode")), in.readInt64("leaseMs"),
          in.readInt64("since"), in.readString("waitId"), identity(in));
    }

    @Override
    public void write(CompactWriter out, Waiter w) {
      out.writeString("owner", w.owner());
      out.writeString("mode", w.mode().name());
      out.writeInt64("leaseMs", w.leaseMs());
      out.writeInt64("since", w.since());
      out.writeString("waitId", w.waitId());
      out.writeString("identity", w.identity());
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.Waiter";
    }

    @Override
    public Class<Waiter> getCompactClass() {
      return Waiter.class;
    }
  }

  static final class CancellationCodec implements CompactSerializer<Cancellation> {
    @Override
    public Cancellation read(CompactReader in) {
      return new Cancellation(in.readString("waitId"), in.readString("reason"));
    }

    @Override
    public void write(CompactWriter out, Cancellation c) {
      out.writeString("waitId", c.waitId());
      out.writeString("reason", c.reason());
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.Cancellation";
    }

    @Override
    public Class<Cancellation> getCompactClass() {
      return Cancellation.class;
    }
  }

  static final class StateCodec implements CompactSerializer<LockState> {
    @Override
    public LockState read(CompactReader in) {
      return new LockState(in.readString("name"), List.of(in.readArrayOfCompact("holders", Holder.class)),
          List.of(in.readArrayOfCompact("waiters", Waiter.class)), in.readInt64("lastToken"),
          in.readInt64("notBefore"), in.readInt64("version"), in.readString("lastWriter"),
          List.of(in.readArrayOfCompact("cancellations", Cancellation.class)),
          in.getFieldKind("departed") == FieldKind.ARRAY_OF_STRING ? List.of(in.readArrayOfString("departed"))
              : List.of()); // written before the field existed
    }

    @Override
    public void write(CompactWriter out, LockState s) {
      out.writeString("name", s.name());
      out.writeArrayOfCompact("holders", s.holders().toArray(new Holder[0]));
      out.writeArrayOfCompact("waiters", s.waiters().toArray(new Waiter[0]));
      out.writeInt64("lastToken", s.lastToken());
      out.writeInt64("notBefore", s.notBefore());
      out.writeInt64("version", s.version());
      out.writeString("lastWriter", s.lastWriter());
      out.writeArrayOfCompact("cancellations", s.cancellations().toArray(new Cancellation[0]));
      out.writeArrayOfString("departed", s.departed().toArray(new String[0]));
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.LockState";
    }

    @Override
    public Class<LockState> getCompactClass() {
      return LockState.class;
    }
  }

  static final class DecisionCodec implements CompactSerializer<Decision> {
    @Override
    public Decision read(CompactReader in) {
      return new Decision(Decision.Code.valueOf(in.readString("code")), in.readString("message"),
          in.readCompact("holder"), in.readInt32("position"), List.of(in.readArrayOfString("blockedBy")),
          List.of(in.readArrayOfCompact("promoted", Holder.class)),
          List.of(in.readArrayOfCompact("expired", Holder.class)));
    }

    @Override
    public void write(CompactWriter out, Decision d) {
      out.writeString("code", d.code().name());
      out.writeString("message", d.message());
      out.writeCompact("holder", d.holder());
      out.writeInt32("position", d.position());
      out.writeArrayOfString("blockedBy", d.blockedBy().toArray(new String[0]));
      out.writeArrayOfCompact("promoted", d.promoted().toArray(new Holder[0]));
      out.writeArrayOfCompact("expired", d.expired().toArray(new Holder[0]));
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.Decision";
    }

    @Override
    public Class<Decision> getCompactClass() {
      return Decision.class;
    }
  }

  static final class ReplyCodec implements CompactSerializer<Reply> {
    @Override
    public Reply read(CompactReader in) {
      // A member without the owner index answers without the two numbers: the index then leaves the lock alone.
      return new Reply(in.readCompact("state"), in.readCompact("decision"), optionalInt64(in, "version"),
          optionalInt64(in, "ownerUntil"));
    }

    @Override
    public void write(CompactWriter out, Reply r) {
      out.writeCompact("state", r.state());
      out.writeCompact("decision", r.decision());
      out.writeInt64("version", r.version());
      out.writeInt64("ownerUntil", r.ownerUntil());
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.Reply";
    }

    @Override
    public Class<Reply> getCompactClass() {
      return Reply.class;
    }
  }

  static final class WaitEdgeCodec implements CompactSerializer<WaitEdge> {
    @Override
    public WaitEdge read(CompactReader in) {
      return new WaitEdge(in.readString("waitId"), in.readString("owner"), in.readString("lock"),
          List.of(in.readArrayOfString("waitsFor")), in.readInt64("since"));
    }

    @Override
    public void write(CompactWriter out, WaitEdge e) {
      out.writeString("waitId", e.waitId());
      out.writeString("owner", e.owner());
      out.writeString("lock", e.lock());
      out.writeArrayOfString("waitsFor", e.waitsFor().toArray(new String[0]));
      out.writeInt64("since", e.since());
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.WaitEdge";
    }

    @Override
    public Class<WaitEdge> getCompactClass() {
      return WaitEdge.class;
    }
  }

  /** An owner index entry as three parallel arrays (no nested schema per item). */
  static final class OwnerLocksCodec implements CompactSerializer<OwnerLocks> {
    @Override
    public OwnerLocks read(CompactReader in) {
      String[] locks = in.readArrayOfString("locks");
      long[] versions = in.readArrayOfInt64("versions");
      long[] untils = in.readArrayOfInt64("untils");
      List<OwnerLocks.Item> items = new java.util.ArrayList<>(locks.length);
      for (int i = 0; i < locks.length; i++) {
        items.add(new OwnerLocks.Item(locks[i], versions[i], untils[i]));
      }
      return new OwnerLocks(items);
    }

    @Override
    public void write(CompactWriter out, OwnerLocks o) {
      int n = o.items().size();
      String[] locks = new String[n];
      long[] versions = new long[n];
      long[] untils = new long[n];
      for (int i = 0; i < n; i++) {
        OwnerLocks.Item item = o.items().get(i);
        locks[i] = item.lock();
        versions[i] = item.version();
        untils[i] = item.until();
      }
      out.writeArrayOfString("locks", locks);
      out.writeArrayOfInt64("versions", versions);
      out.writeArrayOfInt64("untils", untils);
    }

    @Override
    public String getTypeName() {
      return "pledge.lock.OwnerLocks";
    }

    @Override
    public Class<OwnerLocks> getCompactClass() {
      return OwnerLocks.class;
    }
  }
}
