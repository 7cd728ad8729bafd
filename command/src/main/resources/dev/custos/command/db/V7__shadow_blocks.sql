-- Shadow mode (issue 13, part 3): a shadow event's action is what the policy would have done,
-- so the roll-ups' 'block' rows counted would-have-been blocks as blocked. shadow_events counts
-- the row's events that were in shadow mode: blocked = events - shadow_events of the 'block'
-- rows, would have blocked = their shadow_events. Rows stored before this migration count 0.
ALTER TABLE rollup_minute ADD COLUMN shadow_events BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollup_hour ADD COLUMN shadow_events BIGINT NOT NULL DEFAULT 0;

DROP VIEW flow_minute;
DROP VIEW flow_hour;

CREATE VIEW flow_minute AS
  SELECT r.bucket_ms, d.proxy_id, d.route, d.cluster, d.direction, s.identity_hash, s.service,
    r.category, r.action, r.events, r.findings, r.shadow_events
  FROM rollup_minute r
  JOIN destinations d ON d.destination_id = r.destination_id
  JOIN sources s ON s.source_id = r.source_id;

CREATE VIEW flow_hour AS
  SELECT r.bucket_ms, d.proxy_id, d.route, d.cluster, d.direction, s.identity_hash, s.service,
    r.category, r.action, r.events, r.findings, r.shadow_events
  FROM rollup_hour r
  JOIN destinations d ON d.destination_id = r.destination_id
  JOIN sources s ON s.source_id = r.source_id;
