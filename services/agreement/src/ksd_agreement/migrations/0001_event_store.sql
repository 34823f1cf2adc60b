-- The event store: one stream per agreement, append-only. (agreement_id, version) is the
-- optimistic-concurrency key; the envelope is kept whole, as published, for replay and audit.
CREATE TABLE agreement_events (
    agreement_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    event_id uuid NOT NULL UNIQUE,
    type text NOT NULL,
    recorded_at timestamptz NOT NULL,
    envelope jsonb NOT NULL,
    PRIMARY KEY (agreement_id, version)
);

-- Each agreement's state: the fold of its events up to `version`, kept with them in one transaction.
CREATE TABLE agreements (
    agreement_id uuid PRIMARY KEY,
    version integer NOT NULL,
    state jsonb NOT NULL
);
