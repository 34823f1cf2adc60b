-- A record's verification by the province of its regency/city (agreement.verify / agreement.return),
-- folded from its timeline into record->'verification' (ksd_reporting.domain.verification): its
-- state is a column so that the summary, the list and the exports filter on it (?verification=).
ALTER TABLE agreements ADD COLUMN verification text NOT NULL DEFAULT 'unverified';
CREATE INDEX agreements_verification ON agreements (verification) WHERE verification <> 'verified';
