-- A flag's detail in English beside the Indonesian one, for a reader who asks for English
-- (Accept-Language: en). Flags raised before this column have none: they are shown as written.
ALTER TABLE agreement_flags ADD COLUMN IF NOT EXISTS detail_en text;
