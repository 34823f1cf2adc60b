-- Run once by the postgres image, on an empty data volume: one database per service
-- (ARCHITECTURE.md). Each service applies its own migrations at start.
CREATE DATABASE ksd_intake;
CREATE DATABASE ksd_agreement;
CREATE DATABASE ksd_mapping;
CREATE DATABASE ksd_reporting;
-- Keycloak's own (the identity provider, deploy/keycloak/ksd-realm.json).
CREATE DATABASE ksd_keycloak;
