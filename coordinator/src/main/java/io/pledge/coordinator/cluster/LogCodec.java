package io.pledge.coordinator.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pledge.api.cluster.v1.AbortReasonRef;
import io.pledge.api.cluster.v1.AbortRecord;
import io.pledge.api.cluster.v1.CommitRecord;
import io.pledge.api.cluster.v1.EndRecord;
import io.pledge.api.cluster.v1.EpochRecord;
import io.pledge.api.cluster.v1.IntentRecord;
import io.pledge.api.cluster.v1.ParticipantRef;
import io.pledge.api.cluster.v1.PurgeRecord;
import io.pledge.api.cluster.v1.RecordResult;
import io.pledge.api.cluster.v1.ReplicatedEntry;
import io.pledge.api.cluster.v1.ReplicatedRecord;
import io.pledge.api.cluster.v1.ReplicatedReply;
import io.pledge.coordinator.cluster.LogRecord.Abort;
import io.pledge.coordinator.cluster.LogRecord.Commit;
import io.pledge.coordinator.cluster.LogRecord.End;
import io.pledge.coordinator.cluster.LogRecord.Entry;
import io.pledge.coordinator.cluster.LogRecord.Intent;
import io.pledge.coordinator.cluster.LogRecord.NewEpoch;
import io.pledge.coordinator.cluster.LogRecord.Purge;
import io.pledge.coordinator.cluster.LogRecord.Result;
import io.pledge.coordinator.log.TxLog.Info;
import io.pledge.coordinator.state.AbortCause;
import io.pledge.coordinator.state.AbortReason;
import io.pledge.coordinator.state.Outcome;
import io.pledge.coordinator.state.Participant;
import io.pledge.coordinator.state.TxId;
import java.util.List;

/** The one place where replicated records meet protobuf ({@code pledge/cluster/v1/replicated_log.proto}). Pure. */
public final class LogCodec {

  private LogCodec() {}

  public static byte[] encode(Entry entry) {
    ReplicatedEntry.Builder b = ReplicatedEntry.newBuilder().setAtMillis(entry.atMillis());
    entry.records().forEach(r -> b.addRecords(encode(r)));
    return b.build().toByteArray();
  }

  /** @throws IllegalArgumentException when the bytes are not an entry this version writes */
  public static Entry decode(byte[] bytes) {
    ReplicatedEntry proto;
    try {
      proto = ReplicatedEntry.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a replicated log entry: " + e.getMessage(), e);
    }
    return new Entry(proto.getRecordsList().stream().map(LogCodec::decode).toList(), proto.getAtMillis());
  }

  public static byte[] encodeReply(List<Result> results) {
    ReplicatedReply.Builder b = ReplicatedReply.newBuilder();
    results.forEach(r -> b.addResults(RecordResult.newBuilder()
        .setStatus(r.applied() ? RecordResult.Status.APPLIED : RecordResult.Status.REFUSED)
        .setValue(r.value()).setDetail(r.detail())));
    return b.build().toByteArray();
  }

  public static List<Result> decodeReply(byte[] bytes) {
    try {
      return ReplicatedReply.parseFrom(bytes).getResultsList().stream()
          .map(r -> new Result(r.getStatus() == RecordResult.Status.APPLIED, r.getValue(), r.getDetail())).toList();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a replicated log reply: " + e.getMessage(), e);
    }
  }

  static ReplicatedRecord encode(LogRecord record) {
    ReplicatedRecord.Builder b = ReplicatedRecord.newBuilder();
    if (record instanceof NewEpoch r) {
      b.setEpoch(EpochRecord.newBuilder().setLeaderId(r.leaderId()).setLeaderEndpoint(r.leaderEndpoint()));
    } else if (record instanceof Intent r) {
      b.setIntent(IntentRecord.newBuilder().setTxId(r.id().toString()).addAllParticipants(refs(r.participants()))
          .setOnePhase(r.onePhase()).setDeadlineMs(r.deadlineMillis()).setBegunAtMs(r.info().begunAtMillis())
          .putAllLabels(r.info().labels()).setOwner(r.info().owner()));
    } else if (record instanceof Commit r) {
      b.setCommit(CommitRecord.newBuilder().setTxId(r.id().toString()).addAllParticipants(refs(r.participants())));
    } else if (record instanceof Abort r) {
      b.setAbort(AbortRecord.newBuilder().setTxId(r.id().toString()).setReason(reason(r.reason())));
    } else if (record instanceof End r) {
      EndRecord.Builder e = EndRecord.newBuilder().setTxId(r.id().toString())
          .setCommitted(r.outcome() == Outcome.COMMITTED).addAllForgotten(refs(r.forgotten()))
          .setResolved(r.resolved()).setBegunAtMs(r.info().begunAtMillis()).putAllLabels(r.info().labels())
          .setOwner(r.info().owner());
      if (r.reason() != null) {
        e.setReason(reason(r.reason()));
      }
      b.setEnd(e);
    } else if (record instanceof Purge r) {
      b.setPurge(PurgeRecord.newBuilder().setEndedBeforeMs(r.endedBeforeMillis()));
    } else {
      throw new IllegalArgumentException("unknown record " + record);
    }
    return b.build();
  }

  static LogRecord decode(ReplicatedRecord r) {
    return switch (r.getKindCase()) {
      case EPOCH -> new NewEpoch(r.getEpoch().getLeaderId(), r.getEpoch().getLeaderEndpoint());
      case INTENT -> new Intent(TxId.parse(r.getIntent().getTxId()), participants(r.getIntent().getParticipantsList()),
          r.getIntent().getOnePhase(), r.getIntent().getDeadlineMs(),
          new Info(r.getIntent().getBegunAtMs(), r.getIntent().getLabelsMap(), r.getIntent().getOwner()));
      case COMMIT -> new Commit(TxId.parse(r.getCommit().getTxId()),
          participants(r.getCommit().getParticipantsList()));
      case ABORT -> new Abort(TxId.parse(r.getAbort().getTxId()), reason(r.getAbort().getReason()));
      case END -> new End(TxId.parse(r.getEnd().getTxId()),
          r.getEnd().getCommitted() ? Outcome.COMMITTED : Outcome.ABORTED,
          r.getEnd().hasReason() ? reason(r.getEnd().getReason()) : null,
          participants(r.getEnd().getForgottenList()), r.getEnd().getResolved(),
          new Info(r.getEnd().getBegunAtMs(), r.getEnd().getLabelsMap(), r.getEnd().getOwner()));
      case PURGE -> new Purge(r.getPurge().getEndedBeforeMs());
      case KIND_NOT_SET -> throw new IllegalArgumentException("a replicated record without a kind");
    };
  }

  private static List<ParticipantRef> refs(List<Participant> participants) {
    return participants.stream()
        .map(p -> ParticipantRef.newBuilder().setId(p.id()).setEndpoint(p.endpoint()).build()).toList();
  }

  private static List<Participant> participants(List<ParticipantRef> refs) {
    return refs.stream().map(p -> new Participant(p.getId(), p.getEndpoint())).toList();
  }

  private static AbortReasonRef reason(AbortReason r) {
    return AbortReasonRef.newBuilder().setCause(r.cause().name()).setParticipantId(r.participantId())
        .setDetail(r.detail()).build();
  }

  private static AbortReason reason(AbortReasonRef r) {
    AbortCause cause;
    try {
      cause = AbortCause.valueOf(r.getCause());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown abort cause '" + r.getCause() + "' in a replicated record", e);
    }
    return new AbortReason(cause, r.getParticipantId(), r.getDetail());
  }
}
