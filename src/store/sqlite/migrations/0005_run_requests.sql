-- A pause or cancel asked of a running run by another process (the API, a second CLI);
-- the run's own process reads it with its heartbeat and acts on it.
ALTER TABLE runs ADD COLUMN requested TEXT;
