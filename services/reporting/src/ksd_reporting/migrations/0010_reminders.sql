-- Reminders (ksd_reporting.reminders): each region's inbox, one row per (region, kind, agreement,
-- threshold) so that nothing is reminded twice, and the mails to send for them, one per recipient,
-- like an outbox: queued with the reminder's addresses, marked sent once the SMTP server took them.
-- Neither is a read model of the topics (they record what was sent when): the digest leaves them out.
CREATE TABLE reminders (
    id bigserial PRIMARY KEY,
    region text NOT NULL,
    kind text NOT NULL,
    agreement_id uuid NOT NULL,
    threshold text NOT NULL,
    day date,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    mails_queued boolean NOT NULL DEFAULT false,
    UNIQUE (region, kind, agreement_id, threshold)
);
CREATE INDEX reminders_inbox ON reminders (region, id DESC);
CREATE INDEX reminders_unqueued ON reminders (region) WHERE NOT mails_queued;

CREATE TABLE reminder_mails (
    id bigserial PRIMARY KEY,
    reminder_id bigint NOT NULL REFERENCES reminders (id),
    recipient text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    sent_at timestamptz,
    UNIQUE (reminder_id, recipient)
);
CREATE INDEX reminder_mails_unsent ON reminder_mails (id) WHERE sent_at IS NULL;
