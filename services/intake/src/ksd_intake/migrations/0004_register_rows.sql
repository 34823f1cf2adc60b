-- A register row's identity: each key a region gives a row (its register number, its KSB number, its
-- PKS number) names the agreement the row created, so that the row uploaded again, edited, changes
-- that agreement (a correction per changed step) instead of creating another.
CREATE TABLE register_rows (
    region text NOT NULL,
    row_key text NOT NULL,
    agreement_id uuid NOT NULL,
    PRIMARY KEY (region, row_key)
);
