-- The command plane's schema, one for SQLite and PostgreSQL: portable types only (TEXT, BIGINT,
-- INTEGER, BOOLEAN), times as epoch milliseconds, '' for an unknown cluster or service (key
-- columns are never NULL). No raw value is ever stored: names, keyed hashes, masked previews
-- and counts only.

-- Which proxy sent what, with which token and configuration version.
CREATE TABLE proxies (
  proxy_id TEXT NOT NULL PRIMARY KEY,
  token_name TEXT NOT NULL,
  config_version TEXT NOT NULL,
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL
);

-- Batch ids already stored: a retried batch is recognized and dropped (idempotent retries).
CREATE TABLE batches (
  batch_id TEXT NOT NULL PRIMARY KEY,
  proxy_id TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  events INTEGER NOT NULL
);
CREATE INDEX batches_received ON batches (received_ms);

-- Raw findings events, kept retention.raw_events.
CREATE TABLE events (
  batch_id TEXT NOT NULL,
  line_no INTEGER NOT NULL,
  proxy_id TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  received_ms BIGINT NOT NULL,
  route TEXT NOT NULL,
  cluster TEXT NOT NULL,
  service TEXT NOT NULL,
  protocol TEXT NOT NULL,
  direction TEXT NOT NULL,
  identity_hash TEXT NOT NULL,
  action TEXT NOT NULL,
  blocked_by TEXT,
  shadow BOOLEAN NOT NULL,
  alert BOOLEAN NOT NULL,
  uninspectable TEXT,
  inspected_bytes BIGINT NOT NULL,
  findings BIGINT NOT NULL,
  categories TEXT NOT NULL,
  PRIMARY KEY (batch_id, line_no)
);
CREATE INDEX events_time ON events (time_ms);

-- The flow model: one row per time bucket, source (identity, service), destination (proxy,
-- route, cluster), direction, category and action. events = messages with the category,
-- findings = values found.
CREATE TABLE flow_minute (
  bucket_ms BIGINT NOT NULL,
  proxy_id TEXT NOT NULL,
  route TEXT NOT NULL,
  cluster TEXT NOT NULL,
  direction TEXT NOT NULL,
  identity_hash TEXT NOT NULL,
  service TEXT NOT NULL,
  category TEXT NOT NULL,
  action TEXT NOT NULL,
  events BIGINT NOT NULL,
  findings BIGINT NOT NULL,
  PRIMARY KEY (bucket_ms, proxy_id, route, cluster, direction, identity_hash, service, category,
    action)
);

CREATE TABLE flow_hour (
  bucket_ms BIGINT NOT NULL,
  proxy_id TEXT NOT NULL,
  route TEXT NOT NULL,
  cluster TEXT NOT NULL,
  direction TEXT NOT NULL,
  identity_hash TEXT NOT NULL,
  service TEXT NOT NULL,
  category TEXT NOT NULL,
  action TEXT NOT NULL,
  events BIGINT NOT NULL,
  findings BIGINT NOT NULL,
  PRIMARY KEY (bucket_ms, proxy_id, route, cluster, direction, identity_hash, service, category,
    action)
);
CREATE INDEX flow_hour_category ON flow_hour (category, bucket_ms);

-- Distinct values per hour and edge, by evidence hash: COUNT(DISTINCT evidence_hash).
CREATE TABLE flow_values (
  bucket_ms BIGINT NOT NULL,
  proxy_id TEXT NOT NULL,
  route TEXT NOT NULL,
  cluster TEXT NOT NULL,
  direction TEXT NOT NULL,
  identity_hash TEXT NOT NULL,
  category TEXT NOT NULL,
  evidence_hash TEXT NOT NULL,
  PRIMARY KEY (bucket_ms, proxy_id, route, cluster, direction, identity_hash, category,
    evidence_hash)
);

-- Value lineage: where each evidence hash was seen; the same hash at two proxies or routes is
-- the same value moving between them.
CREATE TABLE value_sightings (
  evidence_hash TEXT NOT NULL,
  proxy_id TEXT NOT NULL,
  route TEXT NOT NULL,
  cluster TEXT NOT NULL,
  direction TEXT NOT NULL,
  category TEXT NOT NULL,
  preview TEXT NOT NULL,
  first_seen_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  sightings BIGINT NOT NULL,
  PRIMARY KEY (evidence_hash, proxy_id, route, cluster, direction, category)
);
CREATE INDEX value_sightings_last ON value_sightings (last_seen_ms);
