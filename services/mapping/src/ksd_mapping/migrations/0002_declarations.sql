-- The declaration on record per region and kind (the latest by declared_on), with its full body.
CREATE TABLE region_declarations (
    region text NOT NULL,
    kind text NOT NULL,
    declared_on date NOT NULL,
    submission_id uuid NOT NULL,
    body jsonb NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, kind)
);

-- Affairs each region offers or needs cooperation on: partner suggestions look them up by urusan.
CREATE TABLE region_affairs (
    region text NOT NULL,
    direction text NOT NULL CHECK (direction IN ('offers', 'needs')),
    urusan text NOT NULL,
    PRIMARY KEY (region, direction, urusan)
);
CREATE INDEX region_affairs_by_urusan ON region_affairs (urusan, direction);

CREATE TABLE region_potentials (
    region text NOT NULL,
    position int NOT NULL,
    urusan text NOT NULL,
    title text NOT NULL,
    description text NOT NULL,
    scale text NOT NULL,
    location text,
    value_idr bigint,
    PRIMARY KEY (region, position)
);
CREATE INDEX region_potentials_by_urusan ON region_potentials (urusan, region);

-- Each region's declared neighbours; a border is confirmed when both directions are here.
CREATE TABLE declared_neighbours (
    region text NOT NULL,
    neighbour text NOT NULL,
    PRIMARY KEY (region, neighbour)
);
CREATE INDEX declared_neighbours_reverse ON declared_neighbours (neighbour, region);

-- The agreements mapping knows from agreement events, and their party regions.
CREATE TABLE agreements (
    agreement_id uuid PRIMARY KEY,
    registry_number text,
    title text NOT NULL,
    kind text NOT NULL,
    mandatory boolean,
    initiated_on date NOT NULL
);
CREATE TABLE agreement_regions (
    agreement_id uuid NOT NULL,
    region text NOT NULL,
    PRIMARY KEY (region, agreement_id)
);

-- Flags of mapping rules on agreements (unclassifiable, wajib without border, outside the mapping).
CREATE TABLE agreement_flags (
    agreement_id uuid NOT NULL,
    rule text NOT NULL,
    detail text NOT NULL,
    PRIMARY KEY (agreement_id, rule)
);
