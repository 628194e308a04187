-- What a lookup after memory.finished-retention must still answer (coordinator.proto's TransactionInfo): when the
-- transaction began and its labels. Written with the INTENT record (or with the END of a commit that needed none);
-- 0 and NULL for rows written before this migration.
ALTER TABLE tx ADD COLUMN begun_at BIGINT DEFAULT 0 NOT NULL;
-- Labels as (UTF-8 length-prefixed) key/value pairs: see H2TxLog.encodeLabels; bounded by limits.label-bytes.
ALTER TABLE tx ADD COLUMN labels VARBINARY;
