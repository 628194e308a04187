-- V6 moved every participant into its transaction's row (and emptied this table in the same transaction).
-- IF EXISTS: a crash after the drop and before Flyway recorded it runs this again.
DROP TABLE IF EXISTS tx_participant;
