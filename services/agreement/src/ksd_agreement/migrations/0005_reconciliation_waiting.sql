-- Whom each agreement of a reconciliation key still waits for: the party regions that have not
-- reported it (`domain.waiting_for`). A batch loads only the agreements that wait for one of its
-- reporting regions, not every agreement of the key (two regions with 10,000 agreements: each
-- decision loaded and scanned all of them). NULL until known: the service fills it at its start
-- from the stored states (`store.refold`), and until then such a row is loaded as before.
ALTER TABLE reconciliation_keys ADD COLUMN waiting text[];
