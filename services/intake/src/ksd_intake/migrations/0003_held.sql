-- `held`: the agreement or mapping service parked the submission (its handler failed); it is
-- applied or rejected once an operator redrives it (`ksd admin dlq redrive`).
ALTER TABLE submissions DROP CONSTRAINT submissions_status_check;
ALTER TABLE submissions ADD CONSTRAINT submissions_status_check
    CHECK (status IN ('accepted', 'held', 'applied', 'rejected'));
