-- Who acted for the region: `person:<username>` or `machine:<client id>` (Keycloak), or
-- `token:<hash prefix>` (a platform token). NULL for submissions recorded before it was kept.
ALTER TABLE submissions ADD COLUMN actor text;
