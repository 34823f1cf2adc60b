-- The stage and the reports owed on any date, from the legal state `ksd_contracts.lifecycle` folds:
-- each record keeps its stage changes (stage_names[i] from stage_dates[i]) and each semester a
-- report is owed for (due on report_due[i], sent on report_sent[i] or never). Status by date is
-- read, not stored: the `counts` table no longer keeps a status dimension.
ALTER TABLE agreements
    ADD COLUMN stage_dates date[] NOT NULL DEFAULT '{}',
    ADD COLUMN stage_names text[] NOT NULL DEFAULT '{}',
    ADD COLUMN report_due date[] NOT NULL DEFAULT '{}',
    ADD COLUMN report_sent date[] NOT NULL DEFAULT '{}',
    DROP COLUMN overdue_since,
    DROP COLUMN overdue_periods;
CREATE INDEX agreements_initiated_on ON agreements (initiated_on);
DELETE FROM counts WHERE dimension = 'status';

-- The stage on day d: the last change dated on or before it (NULL: not initiated yet).
CREATE FUNCTION stage_on(names text[], dates date[], d date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT names[i] FROM generate_subscripts(dates, 1) AS i WHERE dates[i] <= d ORDER BY i DESC LIMIT 1
$$;

-- The semesters whose report was due by day d and not sent by then ('infinity': never sent).
CREATE FUNCTION overdue_on(due date[], sent date[], d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT count(*)::integer FROM unnest(due, sent) AS r(due, sent) WHERE r.due <= d AND r.sent > d
$$;
