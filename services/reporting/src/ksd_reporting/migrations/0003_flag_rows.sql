-- One mapping.flagged event may carry several flags (e.g. unclassifiable and a wajib KSDD without
-- a confirmed border): one row per flag, so the key is the event and the rule.
ALTER TABLE mapping_flags DROP CONSTRAINT mapping_flags_pkey, ADD PRIMARY KEY (event_id, rule);
