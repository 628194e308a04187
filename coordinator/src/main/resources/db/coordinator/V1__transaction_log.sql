-- The coordinator's transaction log. A row exists only once commit was requested (the intent); a transaction
-- that never got that far has no row, and no row means aborted (presumed abort).
--   state INTENT:      participants known, no decision: recovery aborts it (or drives a one-phase commit again)
--   state COMMIT:      the commit decision, forced before any participant or client is told: recovery resumes phase 2
--   state COMMITTED / ROLLED_BACK: the END record: every participant acknowledged; purged after the retention
CREATE TABLE tx (
  tx_id         VARCHAR(128) PRIMARY KEY,
  epoch         BIGINT       NOT NULL,
  state         VARCHAR(16)  NOT NULL,
  one_phase     BOOLEAN      NOT NULL,
  deadline_at   BIGINT       NOT NULL,
  updated_at    BIGINT       NOT NULL,
  abort_cause   VARCHAR(32),
  abort_by      VARCHAR(128),
  abort_detail  VARCHAR(1024)
);
CREATE INDEX tx_state_updated ON tx (state, updated_at);

CREATE TABLE tx_participant (
  tx_id          VARCHAR(128) NOT NULL,
  participant_id VARCHAR(128) NOT NULL,
  endpoint       VARCHAR(255) NOT NULL,
  PRIMARY KEY (tx_id, participant_id)
);

-- Small facts about this coordinator: its boot epoch, the highest epoch whose ended records were purged.
CREATE TABLE coordinator_meta (
  meta_key   VARCHAR(64) PRIMARY KEY,
  meta_value BIGINT      NOT NULL
);
INSERT INTO coordinator_meta VALUES ('epoch', 0), ('purged_through_epoch', 0);
