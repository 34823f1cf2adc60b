-- Run once by the postgres image, on an empty data volume. The services' roles and databases are
-- made by the `setup` job (`python -m ksd_common.access setup`: a role per service, owning its
-- database); only Keycloak's own database is made here (deploy/keycloak/ksd-realm.json).
CREATE DATABASE ksd_keycloak;
