-- Every accepted submission with its answer. (node, idempotency_key) is the idempotency record:
-- the same key and body answer the same submission again; another body with that key is a 409.
CREATE TABLE submissions (
    id uuid PRIMARY KEY,
    node text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    type text NOT NULL,
    role text NOT NULL,
    region text,
    subject text NOT NULL,
    agreement_id uuid,
    status text NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'applied', 'rejected')),
    reasons jsonb NOT NULL DEFAULT '[]',
    accepted_at timestamptz NOT NULL DEFAULT now(),
    answered_at timestamptz,
    UNIQUE (node, idempotency_key)
);
