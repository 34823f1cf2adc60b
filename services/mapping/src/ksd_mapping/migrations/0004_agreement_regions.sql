-- The party regions of each agreement, kept on its row: an agreement's mapping is read only by a
-- caller who may read one of them (ksd_common.auth.found_in_scope), and agreement_pairs, keyed by
-- region, cannot say whose an agreement is without a scan. Agreements recorded before this column
-- take theirs from their pairs; one with a single party region left no pair and stays empty, so
-- only the directorate and auditors read it: closed, not open.
ALTER TABLE agreements ADD COLUMN regions text[] NOT NULL DEFAULT '{}';
UPDATE agreements a SET regions = p.regions
FROM (SELECT agreement_id, array_agg(DISTINCT region ORDER BY region) AS regions
      FROM agreement_pairs GROUP BY agreement_id) p
WHERE a.agreement_id = p.agreement_id;
