-- flags_by_rule counts agreements, as every other figure does, so that it equals the length of the
-- list `?flag=` opens: an agreement flagged twice under one rule (at its PKS, then at an amendment)
-- counted twice before. The flag counts are recounted once here; the handlers keep them since.
DELETE FROM counts WHERE dimension = 'flag';
INSERT INTO counts
SELECT x.scope, 'flag', r, count(*), 0
FROM agreements a,
     LATERAL (SELECT '' UNION SELECT unnest(a.provinces) UNION SELECT unnest(a.regions)) AS x(scope),
     LATERAL (SELECT DISTINCT f->>'rule' FROM jsonb_array_elements(a.flags) f) AS y(r)
WHERE NOT a.withdrawn
GROUP BY 1, 2, 3;
