-- One database per InScope service. No service reads another's database: they talk
-- through events and HTTP only. The PostgreSQL image runs this file once, on the first
-- start of an empty data volume, as POSTGRES_USER (who then owns these databases).
-- Each service's tables are made by its migrate container (inscope-<service> migrate).
CREATE DATABASE intake;
CREATE DATABASE assessment;
CREATE DATABASE referral;
CREATE DATABASE notify;
