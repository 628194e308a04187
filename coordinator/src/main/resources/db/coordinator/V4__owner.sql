-- Who began the transaction: its caller's identity from the TLS client certificate (SAN URI, else DNS name), so that
-- after the transaction left memory, or after a restart, Commit, Rollback and GetTransaction still answer only its
-- beginner and operators (docs/security.md). NULL when no identity was known (plaintext, no policy) and for rows
-- written before this migration: then no ownership is checked.
ALTER TABLE tx ADD COLUMN owner VARCHAR;
