-- Operator resolution (CoordinatorAdmin.Resolve): a transaction stuck in phase 2 can be ended by hand with the
-- outcome already decided. The participants that never acknowledged are then the operator's responsibility; their
-- rows say so, in the forced END record of the transaction:
--   resolution NULL:       the participant took its part in the protocol as usual
--   resolution FORGOTTEN:  ended by an operator without its acknowledgement (a heuristic completion); it is no
--                          longer told the outcome, though GetOutcome still answers it while the record is kept
ALTER TABLE tx_participant ADD COLUMN resolution VARCHAR(16);
