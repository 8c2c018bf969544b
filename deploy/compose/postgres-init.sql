-- One database per service, each owned by its own role, as in production: a service can reach
-- only its own data. Runs once, when the PostgreSQL volume is empty (docker-entrypoint-initdb.d).
-- Laptop passwords only. Adding a service: two lines here and its entries in docker-compose.yml.
CREATE ROLE settle_gateway LOGIN PASSWORD 'settle';
CREATE DATABASE settle_gateway OWNER settle_gateway;

CREATE ROLE settle_importer LOGIN PASSWORD 'settle';
CREATE DATABASE settle_importer OWNER settle_importer;

CREATE ROLE settle_dunning LOGIN PASSWORD 'settle';
CREATE DATABASE settle_dunning OWNER settle_dunning;

CREATE ROLE settle_messaging LOGIN PASSWORD 'settle';
CREATE DATABASE settle_messaging OWNER settle_messaging;

CREATE ROLE settle_payments LOGIN PASSWORD 'settle';
CREATE DATABASE settle_payments OWNER settle_payments;

CREATE ROLE settle_collection LOGIN PASSWORD 'settle';
CREATE DATABASE settle_collection OWNER settle_collection;
