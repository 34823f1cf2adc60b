-- The national summary reads every agreement on the register on its day (bench/notes-reporting.md):
-- what it computes per agreement is made cheap here, without changing what it computes.
--
-- The stage changes are kept in date order (`lifecycle.stage_changes`), so the stage on day d is the
-- name at the number of changes dated on or before d: width_bucket's binary search. A body without a
-- subquery is inlined into the calling query, where the subquery ran once per agreement.
CREATE OR REPLACE FUNCTION stage_on(names text[], dates date[], d date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT names[width_bucket(d, dates)] $$;

-- How many of the intervals [opened[i], closed[i]) contain day d: a loop over the two arrays in
-- PL/pgSQL, a fifth of the set-returning subquery's time (neither array is in date order), and not
-- even called for an agreement without any (most have no dispute, many no report owed yet): the
-- test for that is inlined into the calling query.
CREATE FUNCTION open_on_loop(opened date[], closed date[], d date) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n integer := 0;
BEGIN
    FOR i IN 1 .. coalesce(array_length(opened, 1), 0) LOOP
        IF opened[i] <= d AND closed[i] > d THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION open_on(opened date[], closed date[], d date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN cardinality(opened) = 0 THEN 0 ELSE open_on_loop(opened, closed, d) END
$$;

-- How many reports fall due after day d and within `days` of it, not sent by d (the indicator
-- reports_due): a function rather than a subquery, so that PostgreSQL's parallel workers may count
-- the summary's indicators (a query with a correlated subquery is aggregated by the leader alone).
CREATE FUNCTION due_within(due date[], sent date[], d date, days integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    n integer := 0;
BEGIN
    FOR i IN 1 .. coalesce(array_length(due, 1), 0) LOOP
        IF due[i] > d AND due[i] <= d + days AND sent[i] > d THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

-- The foreign partners are counted like every other breakdown (`domain.counted`: dimension
-- 'partner'), so the summary no longer opens each foreign agreement's record to name them. The
-- existing records are counted once here; the handlers keep the counts since.
INSERT INTO counts
SELECT x.scope, 'partner', y.p, count(*), sum(a.value_idr)
FROM agreements a,
     LATERAL (SELECT '' UNION SELECT unnest(a.provinces) UNION SELECT unnest(a.regions)) AS x(scope),
     LATERAL (SELECT DISTINCT p->>'name' FROM jsonb_array_elements(a.record->'parties') p
              WHERE p->>'type' = 'foreign') AS y(p)
WHERE NOT a.withdrawn
GROUP BY 1, 2, 3;
