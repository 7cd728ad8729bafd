-- Alerts (issue 13 part 4): rules created through the API, fired alerts and silences. The same
-- SQL for SQLite and PostgreSQL; times as epoch milliseconds; '' for "any" in silence matchers.
-- No raw value: rule ids, names, keyed hashes and counts only.

-- Rules created through the API (those of command.yaml live in the configuration only).
CREATE TABLE alert_rules (
  rule_id TEXT NOT NULL PRIMARY KEY,
  definition TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  comment TEXT NOT NULL
);

-- Fired alerts. alert_id is the deduplication key (a digest of rule id, subject and the window
-- the alert started in): with several replicas, the one whose INSERT ... ON CONFLICT DO NOTHING
-- adds the row is the one that notifies. At most one alert per rule and subject is firing.
CREATE TABLE alerts (
  alert_id TEXT NOT NULL PRIMARY KEY,
  rule_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  subject_key TEXT NOT NULL,
  subject TEXT NOT NULL,
  window_start_ms BIGINT NOT NULL,
  state TEXT NOT NULL,
  value BIGINT NOT NULL,
  details TEXT NOT NULL,
  summary TEXT NOT NULL,
  started_ms BIGINT NOT NULL,
  last_seen_ms BIGINT NOT NULL,
  resolved_ms BIGINT,
  notification TEXT NOT NULL,
  silence_id TEXT NOT NULL
);
CREATE UNIQUE INDEX alerts_one_firing ON alerts (rule_id, subject_key) WHERE state = 'firing';
CREATE INDEX alerts_started ON alerts (started_ms);

-- Silences: alerts matching every non-empty matcher fire into the table but are not notified.
CREATE TABLE silences (
  silence_id TEXT NOT NULL PRIMARY KEY,
  rule_id TEXT NOT NULL,
  category TEXT NOT NULL,
  route TEXT NOT NULL,
  identity_hash TEXT NOT NULL,
  starts_ms BIGINT NOT NULL,
  ends_ms BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  comment TEXT NOT NULL
);
CREATE INDEX silences_ends ON silences (ends_ms);
