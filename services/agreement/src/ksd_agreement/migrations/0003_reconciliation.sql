-- Both sides of a KSDD report it, often without the id the other side's report got (each imports
-- its own register). A new report is joined to an agreement of the same reconciliation key (kind,
-- party regions, date of initiation) that its region has not reported yet; the id it came with
-- becomes an alias, so that side's later steps find the joined agreement.
CREATE TABLE reconciliation_keys (
    position bigserial PRIMARY KEY,  -- registration order: which agreement of a key a report joins
    key text NOT NULL,
    agreement_id uuid NOT NULL UNIQUE
);
CREATE INDEX reconciliation_keys_key ON reconciliation_keys (key, position);

CREATE TABLE agreement_aliases (
    alias uuid PRIMARY KEY,
    agreement_id uuid NOT NULL
);
