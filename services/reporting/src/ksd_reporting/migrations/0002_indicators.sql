-- The columns the indicators filter and group on, taken from each agreement's compiled record, and
-- the region facts and mapping flags of ksd.mapping.events. Read models only: rebuilt from the topics.
-- Records of the first schema cannot be folded further (their steps kept no data): they are dropped;
-- a platform that ran the first schema rebuilds reporting from the log (`make clean`, or a new group).
TRUNCATE agreements;
ALTER TABLE agreements
    ADD COLUMN registry_number text,
    ADD COLUMN mandatory boolean,
    ADD COLUMN countries text[] NOT NULL DEFAULT '{}',
    ADD COLUMN reporters text[] NOT NULL DEFAULT '{}',
    ADD COLUMN initiated_on date,
    ADD COLUMN offered_on date,
    ADD COLUMN accepted_on date,
    ADD COLUMN ksb_on date,
    ADD COLUMN pks_on date,
    ADD COLUMN start_on date,
    ADD COLUMN end_on date,
    ADD COLUMN ended_on date,
    ADD COLUMN successor_id uuid,
    ADD COLUMN last_report_on date,
    ADD COLUMN overdue_since date,
    ADD COLUMN overdue_periods integer NOT NULL DEFAULT 0,
    ADD COLUMN value_idr bigint NOT NULL DEFAULT 0,
    ADD COLUMN funding jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN flags jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN one_sided boolean NOT NULL DEFAULT false,
    ADD COLUMN disagreements integer NOT NULL DEFAULT 0,
    ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('indonesian', title)) STORED;
CREATE INDEX agreements_search ON agreements USING gin (search);
CREATE INDEX agreements_urusan ON agreements USING gin (urusan);
CREATE INDEX agreements_kind_status ON agreements (kind, status);

-- One row per region that declared anything to mapping: its TKKSD decree and its mapping.
CREATE TABLE region_facts (
    region text PRIMARY KEY,
    province text NOT NULL,
    tkksd_decree text,
    tkksd_on date,
    affairs_declared_on date,
    offers text[] NOT NULL DEFAULT '{}',
    needs text[] NOT NULL DEFAULT '{}',
    potentials_declared_on date,
    potentials integer NOT NULL DEFAULT 0,
    version bigint NOT NULL DEFAULT 0
);

-- Soft-rule flags that mapping raised on agreements (agreement's own flags live in agreements.flags).
CREATE TABLE mapping_flags (
    event_id uuid PRIMARY KEY,
    agreement_id uuid NOT NULL,
    rule text NOT NULL,
    detail text NOT NULL,
    flagged_at timestamptz NOT NULL
);
CREATE INDEX mapping_flags_agreement ON mapping_flags (agreement_id);

-- Counts by (scope, dimension, key), kept up to date from each record's change: the summary reads
-- them instead of scanning agreements. Scope '' is the nation. Rows that fall to zero are deleted,
-- so the table is a function of the records alone, however the events were batched.
CREATE TABLE counts (
    scope text NOT NULL,
    dimension text NOT NULL,
    key text NOT NULL,
    n bigint NOT NULL,
    value_idr numeric NOT NULL,
    PRIMARY KEY (scope, dimension, key)
);
