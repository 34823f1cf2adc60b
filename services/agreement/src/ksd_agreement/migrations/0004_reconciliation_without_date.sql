-- The reconciliation key is the kind and the party regions only: each side dates the initiation from
-- its own papers, so `join_target` compares the dates (the same day, a shared document number, or the
-- only one within a window) instead of the key requiring the same day.
UPDATE reconciliation_keys SET key = substring(key FROM '^[^|]*\|[^|]*');
