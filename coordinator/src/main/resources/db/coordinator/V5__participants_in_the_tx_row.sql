-- One row per transaction (issue 16): a transaction's participants move from tx_participant rows into a column of
-- its tx row, so that the intent, the decision and the END are each one single-row statement. The value is
-- ParticipantsCodec's (versioned, participants ordered by id, each with its endpoint and whether an operator forgot
-- it); NULL for none. V6 moves the existing rows into it, V7 drops tx_participant. IF NOT EXISTS: H2 commits a DDL
-- statement by itself, so a crash can leave the column in place before Flyway recorded this step; it then runs again.
ALTER TABLE tx ADD COLUMN IF NOT EXISTS participants VARBINARY;
