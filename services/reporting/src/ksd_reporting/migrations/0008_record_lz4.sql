-- An agreement's record (its whole timeline as jsonb) is TOASTed on every save: lz4 compresses it
-- at a fraction of pglz's CPU (a rebuild's PostgreSQL time fell by about a fifth,
-- bench/notes-audit-scale.md). Rows already stored keep pglz until they are written again.
ALTER TABLE agreements ALTER COLUMN record SET COMPRESSION lz4;
