-- Disputes (agreement.raise_dispute / agreement.settle_dispute): each record keeps when each dispute
-- was raised and settled ('infinity': not yet), so that the disputes open on any day are read in SQL
-- as `ksd_contracts.lifecycle.open_disputes` reads them. The reports owed on a day are the same
-- question (due by then, not sent by then): one function answers both.
ALTER TABLE agreements
    ADD COLUMN dispute_raised date[] NOT NULL DEFAULT '{}',
    ADD COLUMN dispute_settled date[] NOT NULL DEFAULT '{}';

-- How many of the intervals [opened[i], closed[i]) contain day d.
CREATE FUNCTION open_on(opened date[], closed date[], d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT count(*)::integer FROM unnest(opened, closed) AS r(opened, closed) WHERE r.opened <= d AND r.closed > d
$$;

CREATE OR REPLACE FUNCTION overdue_on(due date[], sent date[], d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT open_on(due, sent, d) $$;
