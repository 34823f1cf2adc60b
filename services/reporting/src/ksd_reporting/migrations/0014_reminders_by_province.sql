-- A province's inbox (GET /v1/inbox), its own reminders and its regencies' and cities', newest first,
-- read in order from an index (ksd_common.auth.in_scope_sql names left(region, 2)), as intake's
-- submission lists since its migration 0006; a regency's or city's has reminders_inbox.
CREATE INDEX reminders_by_province ON reminders (left(region, 2), id DESC);
