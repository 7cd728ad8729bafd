-- The findings list shows each event's values (issue 13, part 5: previews and hashes only):
-- evidence holds them as one compact JSON array of [category, evidence hash, masked preview]
-- (preview '' when the event held none), written by the same COPY as the rest of the event.
-- Never a raw value. '[]' for events stored before this column.
ALTER TABLE events ADD COLUMN evidence TEXT NOT NULL DEFAULT '[]';
