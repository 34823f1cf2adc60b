-- Whom each agreement of a reconciliation key still waits for: the party regions that have not
-- reported it (`domain.waiting_for`). A batch loads only the agreements that wait for one of its
-- reporting regions, not every agreement of the key (two regions with 10,000 agreements: each
-- decision loaded and scanned all of them). Reporters only ever grow, so a list kept from an older
-- state is never short of a region, only perhaps long. A refused proposal's key waits for no one.
ALTER TABLE reconciliation_keys ADD COLUMN waiting text[] NOT NULL DEFAULT '{}';
UPDATE reconciliation_keys r SET waiting = ARRAY(
    SELECT p.party->>'code' FROM jsonb_array_elements(a.state->'parties') WITH ORDINALITY AS p(party, n)
    WHERE p.party->>'type' = 'region'
      AND NOT coalesce(a.state->'facts'->'reporters', '[]'::jsonb) ? (p.party->>'code')
    ORDER BY p.n)
  FROM agreements a WHERE a.agreement_id = r.agreement_id;
