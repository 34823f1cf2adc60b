-- Parked events: a handler failed on them (or on an earlier event of their stream), so they wait
-- here, NOT claimed in the inbox, until `ksd admin dlq redrive` asks the service to apply them
-- again. A resolved row stays as the record of what happened (applied, or already applied).
CREATE TABLE parked (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic text NOT NULL,
    event_id uuid NOT NULL,
    event_type text NOT NULL,
    subject text NOT NULL,
    origin_partition int NOT NULL,
    origin_offset bigint NOT NULL,
    value bytea NOT NULL,
    headers jsonb NOT NULL,
    error text NOT NULL,
    behind uuid,
    attempts int NOT NULL DEFAULT 1,
    parked_at timestamptz NOT NULL DEFAULT now(),
    redrive_requested_at timestamptz,
    resolved_at timestamptz,
    resolution text CHECK (resolution IN ('applied', 'duplicate')),
    UNIQUE (topic, event_id)
);

CREATE INDEX parked_open ON parked (topic, subject, id) WHERE resolved_at IS NULL;
