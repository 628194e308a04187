-- The bench participant's data: counter rows, and (for the Narayana baseline) prepared deltas waiting for commit.
CREATE TABLE counter (k VARCHAR(64) PRIMARY KEY, v BIGINT NOT NULL);
CREATE TABLE prepared (tx VARCHAR(256) PRIMARY KEY, k VARCHAR(64) NOT NULL, delta BIGINT NOT NULL);
