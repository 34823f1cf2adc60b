-- The counts by month of initiation beside the whole (month ''): a past day's counts are the whole
-- less the months after it and less the rest of its own month, read from here instead of counting
-- the agreements initiated after the day (bench/notes-reporting.md). The rows kept so far are the
-- whole; the months are counted at the next start, whose code's counting definition (`store.DEFINITION`)
-- differs from the one the steps table's comment names.
ALTER TABLE counts ADD COLUMN month text NOT NULL DEFAULT '';
ALTER TABLE counts ALTER COLUMN month DROP DEFAULT;
ALTER TABLE counts DROP CONSTRAINT counts_pkey;
ALTER TABLE counts ADD PRIMARY KEY (scope, month, dimension, key);
COMMENT ON TABLE nation_steps IS NULL;
