-- The party regions of every agreement intake has seen proposed (from agreement.proposed events),
-- so it can refuse a non-party's step itself (403) instead of waiting for the agreement service.
CREATE TABLE agreement_parties (
    agreement_id uuid PRIMARY KEY,
    regions text[] NOT NULL
);
