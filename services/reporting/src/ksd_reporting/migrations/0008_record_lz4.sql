-- An agreement's record (its whole timeline as jsonb) is TOASTed on every save: lz4 compresses it
-- at a fraction of pglz's CPU (10,000 upserts of 3.7 KB records: 1.3-1.5 s of PostgreSQL's CPU
-- against 2.1-2.4 s, bench/notes-audit-scale.md). Rows already stored keep pglz until written again.
ALTER TABLE agreements ALTER COLUMN record SET COMPRESSION lz4;
