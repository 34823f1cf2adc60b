-- An agreement's record stays in its row, compressed, up to ~4 KB instead of ~2 KB: a record of a
-- few steps (3.7-4.1 KB of jsonb, 1.8 KB in lz4) went out of line to the TOAST table on every save
-- (a second heap and index insert), after PostgreSQL had tried pglz on the row's other columns; read
-- back (a load, the digest) it was fetched from there again. Rows already stored move when written.
ALTER TABLE agreements SET (toast_tuple_target = 4000);
