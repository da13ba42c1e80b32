-- Per-conversation settings chosen on the chat page (temperature, model),
-- as a JSON object.
ALTER TABLE conversations ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
