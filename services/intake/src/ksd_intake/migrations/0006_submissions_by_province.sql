-- The lists of GET /v1/submissions above a regency's, newest first, each read in order from an index
-- (a regency's or city's has submissions_by_region since 0005). A province's is its own and its
-- regencies' and cities' submissions: `region = '64' OR region LIKE '64.%'` could use no index in
-- order, so each page read and sorted all of them (0.76 s a page at 648,000 submissions); a region
-- code's first two characters are its province. The directorate's and auditors' list, every region's,
-- sorted the whole table each page (0.16 s).
CREATE INDEX submissions_by_province ON submissions (left(region, 2), accepted_at DESC, id DESC);
CREATE INDEX submissions_newest ON submissions (accepted_at DESC, id DESC);
