-- The date of initiation beside each party row, in the key's index: partners count and rank the
-- agreements a pair shares on this table alone (index-only), and fetch only the five they show.
ALTER TABLE agreement_regions ADD COLUMN initiated_on date;
UPDATE agreement_regions r SET initiated_on = a.initiated_on FROM agreements a WHERE a.agreement_id = r.agreement_id;
ALTER TABLE agreement_regions ALTER COLUMN initiated_on SET NOT NULL;
ALTER TABLE agreement_regions DROP CONSTRAINT agreement_regions_pkey;
ALTER TABLE agreement_regions ADD PRIMARY KEY (region, agreement_id) INCLUDE (initiated_on);
