-- The national registry number's sequence, per prefix `<kind>/<first region>/<year>/`: taken in the
-- transaction that appends the `proposed` event, so a number is given once and kept in the event.
CREATE TABLE registry_sequences (
    prefix text PRIMARY KEY,
    last integer NOT NULL CHECK (last >= 1)
);

-- What the scheduler emitted: (agreement, what, period) once, written in the transaction of its
-- outbox row, so a restart or a second instance never emits it twice.
CREATE TABLE schedule_emitted (
    agreement_id uuid NOT NULL,
    what text NOT NULL,
    period text NOT NULL,
    emitted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agreement_id, what, period)
);
