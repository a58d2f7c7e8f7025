-- Run once by the postgres image on an empty data volume (as POSTGRES_USER, "pyred",
-- the owner of the "registry" database created from POSTGRES_DB): matchmaking keeps
-- its own database, so each service's migrations and backups stay apart.
CREATE DATABASE matchmaking OWNER pyred;
