package io.pledge.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pledge.api.cluster.v1.AbortReasonRef;
import io.pledge.api.cluster.v1.AbortRecord;
import io.pledge.api.cluster.v1.ReplicatedEntry;
import io.pledge.api.cluster.v1.ReplicatedRecord;
import io.pledge.coordinator.cluster.LogRecord.Abort;
import io.pledge.coordinator.cluster.LogRecord.Commit;
import io.pledge.coordinator.cluster.LogRecord.End;
import io.pledge.coordinator.cluster.LogRecord.Entry;
import io.pledge.coordinator.cluster.LogRecord.Intent;
import io.pledge.coordinator.cluster.LogRecord.NewEpoch;
import io.pledge.coordinator.cluster.LogRecord.Purge;
import io.pledge.coordinator.cluster.LogRecord.Result;
import io.pledge.coordinator.log.TxLog;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every record kind survives the trip through protobuf unchanged; what is not an entry is refused clearly. */
class LogCodecTest {

  static final TxId TX = new TxId("pledge", 3, 17);
  static final List<Participant> AB = List.of(new Participant("a", "127.0.0.1:1"), new Participant("b", "h:2"));
  static final AbortReason NO = new AbortReason(AbortCause.VOTED_NO, "b", "insufficient funds");

  @Test
  void everyRecordKindRoundTrips() {
    Entry entry = new Entry(List.of(new NewEpoch("n1", "10.0.0.1:7400"), new Intent(TX, AB, false, 123_456),
        new Intent(TX, AB.subList(0, 1), true, 9), new Commit(TX, AB.subList(1, 2)), new Abort(TX, NO),
        new End(TX, Outcome.COMMITTED, null, List.of(), false), new End(TX, Outcome.ABORTED, NO, AB, true),
        new Purge(777)), 42_000);
    assertEquals(entry, LogCodec.decode(LogCodec.encode(entry)));
  }

  @Test
  void whenATransactionBeganItsLabelsAndOwnerRoundTripAndAreEmptyInOlderEntries() {
    TxLog.Info info = new TxLog.Info(1_765_000_000_000L, Map.of("order", "o-17", "tenant", "acme"),
        "spiffe://pledge/client/orders");
    Entry entry = new Entry(List.of(new Intent(TX, AB, false, 5, info),
        new End(TX, Outcome.COMMITTED, null, List.of(), false, info)), 1);
    assertEquals(entry, LogCodec.decode(LogCodec.encode(entry)));
    // An entry written before the fields existed: no begun time, no labels.
    byte[] older = ReplicatedEntry.newBuilder().addRecords(ReplicatedRecord.newBuilder().setIntent(
        io.pledge.api.cluster.v1.IntentRecord.newBuilder().setTxId(TX.toString()).setDeadlineMs(5))).build()
        .toByteArray();
    assertEquals(TxLog.Info.NONE, ((Intent) LogCodec.decode(older).records().get(0)).info());
  }

  @Test
  void repliesRoundTrip() {
    List<Result> results = List.of(Result.applied(5), Result.refused("the log already holds COMMIT"),
        new Result(true, 0, "replayed"));
    assertEquals(results, LogCodec.decodeReply(LogCodec.encodeReply(results)));
  }

  @Test
  void garbageAndUnknownCausesAreRefusedWithAReason() {
    IllegalArgumentException notProto = assertThrows(IllegalArgumentException.class,
        () -> LogCodec.decode(new byte[] {(byte) 0xff, 0x01, 0x02}));
    assertTrue(notProto.getMessage().startsWith("not a replicated log entry"), notProto.getMessage());

    byte[] unknownCause = ReplicatedEntry.newBuilder().addRecords(ReplicatedRecord.newBuilder().setAbort(
        AbortRecord.newBuilder().setTxId(TX.toString()).setReason(AbortReasonRef.newBuilder().setCause("GREMLINS"))))
        .build().toByteArray();
    IllegalArgumentException cause = assertThrows(IllegalArgumentException.class,
        () -> LogCodec.decode(unknownCause));
    assertTrue(cause.getMessage().contains("GREMLINS"), cause.getMessage());

    byte[] empty = ReplicatedEntry.newBuilder().addRecords(ReplicatedRecord.getDefaultInstance()).build()
        .toByteArray();
    assertThrows(IllegalArgumentException.class, () -> LogCodec.decode(empty));
    assertThrows(IllegalArgumentException.class, () -> new Entry(List.of(), 1), "an entry without records");
  }
}
