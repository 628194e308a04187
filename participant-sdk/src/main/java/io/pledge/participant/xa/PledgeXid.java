package io.pledge.participant.xa;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import javax.transaction.xa.Xid;

/**
 * The XA branch id of (transaction, participant), derived deterministically so that a restarted participant finds
 * its branches among {@code XAResource.recover()}'s results without any extra bookkeeping: the global id is the
 * transaction id's UTF-8 bytes, the branch qualifier the participant id's, under Pledge's own format id.
 */
public record PledgeXid(String txId, String participantId) implements Xid {

  /** "Pldg": tells Pledge's branches apart from other transaction managers' in the same database. */
  public static final int FORMAT_ID = 0x506C6467;

  public PledgeXid {
    check(txId, "transaction id");
    check(participantId, "participant id");
  }

  private static void check(String id, String what) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException(what + " is empty");
    }
    if (id.getBytes(StandardCharsets.UTF_8).length > Xid.MAXGTRIDSIZE) {
      throw new IllegalArgumentException(what + " '" + id + "' is longer than the " + Xid.MAXGTRIDSIZE
          + " bytes an XA branch id can hold");
    }
  }

  /** The branch {@code xid} stands for, if it is one of this participant's. */
  public static Optional<PledgeXid> of(Xid xid, String participantId) {
    if (xid.getFormatId() != FORMAT_ID
        || !Arrays.equals(xid.getBranchQualifier(), participantId.getBytes(StandardCharsets.UTF_8))) {
      return Optional.empty();
    }
    return Optional.of(new PledgeXid(new String(xid.getGlobalTransactionId(), StandardCharsets.UTF_8),
        participantId));
  }

  @Override
  public int getFormatId() {
    return FORMAT_ID;
  }

  @Override
  public byte[] getGlobalTransactionId() {
    return txId.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] getBranchQualifier() {
    return participantId.getBytes(StandardCharsets.UTF_8);
  }
}
