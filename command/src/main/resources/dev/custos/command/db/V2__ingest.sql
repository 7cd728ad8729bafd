-- Ingest (issue 13, scale): indexes only; every V1 table and column keeps its meaning.

-- value_sightings gets one row or update per value found: its index on last_seen_ms cost about
-- 40 % of each sighting's write in PostgreSQL (measured: 300,000 upserts, 2.9 s of backend CPU
-- with it, 1.7 s without) and kept every update of last_seen_ms from being a HOT update. Only
-- the retention job read it (DELETE ... WHERE last_seen_ms < ?), once per retention interval:
-- that delete now scans the table instead. Lineage reads use the primary key (evidence_hash
-- first).
DROP INDEX value_sightings_last;
