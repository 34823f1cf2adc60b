-- A record its region withdrew (agreement.withdraw) stays with its whole timeline but counts nowhere:
-- the summary, the counts, the list and the exports leave it out (the list shows it on ?status=withdrawn).
ALTER TABLE agreements ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;
