-- Transactional outbox: rows written in the same transaction as the state change they announce;
-- the relay publishes them in id order and deletes them once Kafka has acknowledged them.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic text NOT NULL,
    key bytea NOT NULL,
    value bytea NOT NULL,
    headers jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Head of each subject's hash chain per topic: the next event's sequence and prevhash.
CREATE TABLE chain_heads (
    topic text NOT NULL,
    subject text NOT NULL,
    sequence bigint NOT NULL,
    hash text NOT NULL,
    PRIMARY KEY (topic, subject)
);

-- Inbox: ids of the events this service has applied, written with their effect.
CREATE TABLE inbox (
    event_id uuid PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- Bearer credentials as issued by `ksd admin` on ksd.admin.credentials: hashes only.
CREATE TABLE credentials (
    token_hash text PRIMARY KEY,
    role text NOT NULL,
    region text,
    label text,
    issued_at timestamptz NOT NULL,
    revoked_at timestamptz
);
