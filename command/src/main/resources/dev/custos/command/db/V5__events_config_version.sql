-- Each raw event records the configuration version its batch declared (Custos-Config-Version,
-- as proxies.config_version): a shadow rollout's "would have blocked" can count the events of
-- the rollout's version rather than of a time window. '' for events stored before this column.
ALTER TABLE events ADD COLUMN config_version TEXT NOT NULL DEFAULT '';
