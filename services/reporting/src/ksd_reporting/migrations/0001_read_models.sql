-- Read models only: everything here is rebuilt from the topics (ksd audit rebuild).
CREATE TABLE agreements (
    agreement_id uuid PRIMARY KEY,
    kind text NOT NULL,
    status text NOT NULL,
    title text NOT NULL,
    regions text[] NOT NULL,
    provinces text[] NOT NULL,
    urusan text[] NOT NULL,
    version integer NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX agreements_regions ON agreements USING gin (regions);
CREATE INDEX agreements_provinces ON agreements USING gin (provinces);
