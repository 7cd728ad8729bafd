-- Ingest (issue 13, scale): the roll-ups keyed by narrow ids instead of six TEXT columns, and
-- one table of distinct values per hour instead of two. Each roll-up row cost PostgreSQL about
-- 12 microseconds of backend CPU, almost all of it heap and index maintenance of the wide TEXT
-- keys; each value found wrote two rows (flow_values and value_sightings).
--
-- Two dictionaries: destinations (proxy, route, cluster, direction) and sources (the caller's
-- identity hash and service). Both stay small in real traffic (routes times proxies; callers),
-- and the plane caches their ids. ${id_column} is the database's auto-assigned BIGINT key
-- (PostgreSQL: an identity column; SQLite: INTEGER PRIMARY KEY, the rowid), the only dialect
-- difference; Store sets it. Dictionary rows are never deleted: a plane's cached id stays valid.
--
-- The former tables' names become views with the former columns, so every read keeps its SQL.

CREATE TABLE destinations (
  destination_id ${id_column},
  proxy_id TEXT NOT NULL,
  route TEXT NOT NULL,
  cluster TEXT NOT NULL,
  direction TEXT NOT NULL,
  UNIQUE (proxy_id, route, cluster, direction)
);

CREATE TABLE sources (
  source_id ${id_column},
  identity_hash TEXT NOT NULL,
  service TEXT NOT NULL,
  UNIQUE (identity_hash, service)
);

-- events = messages with the category, findings = values found; as flow_minute and flow_hour.
-- flow_hour's index on (category, bucket_ms) is not kept: every read of the roll-ups bounds
-- bucket_ms, the primary key's first column.
CREATE TABLE rollup_minute (
  bucket_ms BIGINT NOT NULL,
  destination_id BIGINT NOT NULL,
  source_id BIGINT NOT NULL,
  category TEXT NOT NULL,
  action TEXT NOT NULL,
  events BIGINT NOT NULL,
  findings BIGINT NOT NULL,
  PRIMARY KEY (bucket_ms, destination_id, source_id, category, action)
);

CREATE TABLE rollup_hour (
  bucket_ms BIGINT NOT NULL,
  destination_id BIGINT NOT NULL,
  source_id BIGINT NOT NULL,
  category TEXT NOT NULL,
  action TEXT NOT NULL,
  events BIGINT NOT NULL,
  findings BIGINT NOT NULL,
  PRIMARY KEY (bucket_ms, destination_id, source_id, category, action)
);

-- One row per value (evidence hash), hour, destination, source and category: distinct counts
-- per edge and hour, and lineage (where a value was seen, first and last, how often). Primary
-- key by evidence hash first for lineage; hour ranges (distinct counts, retention) use the
-- index on bucket_ms.
CREATE TABLE hour_values (
  evidence_hash TEXT NOT NULL,
  destination_id BIGINT NOT NULL,
  source_id BIGINT NOT NULL,
  category TEXT NOT NULL,
  bucket_ms BIGINT NOT NULL,
  preview TEXT NOT NULL,
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  sightings BIGINT NOT NULL,
  PRIMARY KEY (evidence_hash, destination_id, source_id, category, bucket_ms)
);
CREATE INDEX hour_values_bucket ON hour_values (bucket_ms);

-- Existing data. flow_values had no service and value_sightings neither identity nor hour: a
-- migrated value row gets the source (identity, '') and carries its sighting's preview, first
-- and last times; the sighting's count goes to one of its rows (the latest hour), so that the
-- sums stay. A sighting without any flow_values row left is not migrated (retention had
-- removed its hours).
INSERT INTO destinations (proxy_id, route, cluster, direction)
  SELECT proxy_id, route, cluster, direction FROM flow_minute
  UNION SELECT proxy_id, route, cluster, direction FROM flow_hour
  UNION SELECT proxy_id, route, cluster, direction FROM flow_values;

INSERT INTO sources (identity_hash, service)
  SELECT identity_hash, service FROM flow_minute
  UNION SELECT identity_hash, service FROM flow_hour
  UNION SELECT identity_hash, '' FROM flow_values;

INSERT INTO rollup_minute (bucket_ms, destination_id, source_id, category, action, events,
    findings)
  SELECT f.bucket_ms, d.destination_id, s.source_id, f.category, f.action, f.events, f.findings
  FROM flow_minute f
  JOIN destinations d ON d.proxy_id = f.proxy_id AND d.route = f.route
    AND d.cluster = f.cluster AND d.direction = f.direction
  JOIN sources s ON s.identity_hash = f.identity_hash AND s.service = f.service;

INSERT INTO rollup_hour (bucket_ms, destination_id, source_id, category, action, events,
    findings)
  SELECT f.bucket_ms, d.destination_id, s.source_id, f.category, f.action, f.events, f.findings
  FROM flow_hour f
  JOIN destinations d ON d.proxy_id = f.proxy_id AND d.route = f.route
    AND d.cluster = f.cluster AND d.direction = f.direction
  JOIN sources s ON s.identity_hash = f.identity_hash AND s.service = f.service;

INSERT INTO hour_values (evidence_hash, destination_id, source_id, category, bucket_ms,
    preview, first_seen_ms, last_seen_ms, sightings)
  SELECT v.evidence_hash, d.destination_id, s.source_id, v.category, v.bucket_ms,
    vs.preview, vs.first_seen_ms, vs.last_seen_ms,
    CASE WHEN v.latest = 1 THEN vs.sightings ELSE 0 END
  FROM (SELECT bucket_ms, proxy_id, route, cluster, direction, identity_hash, category,
      evidence_hash, ROW_NUMBER() OVER (PARTITION BY evidence_hash, proxy_id, route, cluster,
        direction, category ORDER BY bucket_ms DESC, identity_hash DESC) AS latest
    FROM flow_values) v
  JOIN value_sightings vs ON vs.evidence_hash = v.evidence_hash AND vs.proxy_id = v.proxy_id
    AND vs.route = v.route AND vs.cluster = v.cluster AND vs.direction = v.direction
    AND vs.category = v.category
  JOIN destinations d ON d.proxy_id = v.proxy_id AND d.route = v.route
    AND d.cluster = v.cluster AND d.direction = v.direction
  JOIN sources s ON s.identity_hash = v.identity_hash AND s.service = '';

DROP TABLE flow_minute;
DROP TABLE flow_hour;
DROP TABLE flow_values;
DROP TABLE value_sightings;

-- The former tables, as views for reads (same names, same columns). flow_values may repeat a
-- row for two services of one identity: its readers count distinct evidence hashes.
CREATE VIEW flow_minute AS
  SELECT r.bucket_ms, d.proxy_id, d.route, d.cluster, d.direction, s.identity_hash, s.service,
    r.category, r.action, r.events, r.findings
  FROM rollup_minute r
  JOIN destinations d ON d.destination_id = r.destination_id
  JOIN sources s ON s.source_id = r.source_id;

CREATE VIEW flow_hour AS
  SELECT r.bucket_ms, d.proxy_id, d.route, d.cluster, d.direction, s.identity_hash, s.service,
    r.category, r.action, r.events, r.findings
  FROM rollup_hour r
  JOIN destinations d ON d.destination_id = r.destination_id
  JOIN sources s ON s.source_id = r.source_id;

CREATE VIEW flow_values AS
  SELECT v.bucket_ms, d.proxy_id, d.route, d.cluster, d.direction, s.identity_hash,
    v.category, v.evidence_hash
  FROM hour_values v
  JOIN destinations d ON d.destination_id = v.destination_id
  JOIN sources s ON s.source_id = v.source_id;

CREATE VIEW value_sightings AS
  SELECT v.evidence_hash, d.proxy_id, d.route, d.cluster, d.direction, v.category,
    MAX(v.preview) AS preview, MIN(v.first_seen_ms) AS first_seen_ms,
    MAX(v.last_seen_ms) AS last_seen_ms, SUM(v.sightings) AS sightings
  FROM hour_values v
  JOIN destinations d ON d.destination_id = v.destination_id
  GROUP BY v.evidence_hash, d.proxy_id, d.route, d.cluster, d.direction, v.category;
