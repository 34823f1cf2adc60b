-- Which urusan each agreement serves, and how that was decided (submitted codes, or title rules).
CREATE TABLE agreement_urusan (
    agreement_id uuid NOT NULL,
    urusan text NOT NULL,
    method text NOT NULL,
    PRIMARY KEY (agreement_id, urusan)
);
