-- One row per branch (transaction x participant). Only states that matter after a restart are written:
-- PREPARED (forced before a yes vote), COMMITTED and ROLLED_BACK (written, not forced: presumed abort).
CREATE TABLE branch (
  tx_id          VARCHAR(256) NOT NULL,
  participant_id VARCHAR(128) NOT NULL,
  state          VARCHAR(16)  NOT NULL,
  updated_ms     BIGINT       NOT NULL,
  PRIMARY KEY (tx_id, participant_id)
);
CREATE INDEX branch_by_state ON branch (state);
