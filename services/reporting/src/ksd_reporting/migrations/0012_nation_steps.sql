-- The nation's indicators on any day, kept as steps (store._steps, bench/notes-reporting.md): each
-- agreement changes a figure on a few days of its life (initiated, signed, a report due, expiring);
-- the handlers add those changes here in the events' transaction, and the summary of the nation on a
-- day adds up the months before it and the days of its month, instead of measuring every agreement.
-- Kept twice, by day ('d') and by the month's first day ('m'), from the same changes.
--
-- The existing agreements' steps are counted at the service's next start: `store.refold` recounts
-- when this table's comment is not the current definition's digest (`store.STEPS_DEFINITION`), as
-- here, where it has none; the steps' definition is the indicators' own SQL, which lives in Python.
CREATE TABLE nation_steps (
    grain text NOT NULL CHECK (grain IN ('d', 'm')),
    day date NOT NULL,
    measure text NOT NULL,
    key text NOT NULL,
    delta bigint NOT NULL,
    PRIMARY KEY (grain, day, measure, key)
);
