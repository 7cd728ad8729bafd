-- Policy distribution (issue 13 part 3): versioned documents and rollouts. Same SQL for SQLite
-- and PostgreSQL; times as epoch milliseconds.

-- Every version of every document: kind 'policy' (a Custos policy, validated by the proxy's own
-- parser before it is stored). version counts from 1 per (kind, name); diff is the unified diff
-- against the previous version ('' for the first).
CREATE TABLE document_versions (
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  author TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  comment TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  body TEXT NOT NULL,
  diff TEXT NOT NULL,
  PRIMARY KEY (kind, name, version)
);

-- A rollout runs one policy version on a set of proxies (ids separated by ',', or '*'), in
-- shadow (enforce false) or enforcing. The version a proxy should run is the newest rollout
-- (highest id) not aborted that covers it. shadow_until_ms: when the rollout stopped being
-- shadow (promoted to enforce, or aborted); 0 while it is shadow. revision counts changes, so
-- that replicas notice a promotion or an abort by polling.
CREATE TABLE rollouts (
  id BIGINT NOT NULL PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  enforce BOOLEAN NOT NULL,
  proxies TEXT NOT NULL,
  state TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  updated_ms BIGINT NOT NULL,
  updated_by TEXT NOT NULL,
  shadow_until_ms BIGINT NOT NULL,
  revision INTEGER NOT NULL
);

