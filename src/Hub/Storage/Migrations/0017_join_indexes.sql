-- Joins (issue 11, point 5). Every connect counts the participant's open intervals, and every leave
-- closes its own: without an index on the participant, each count read the whole session's intervals,
-- so a storm of 5,000 joins cost PostgreSQL more per join the further it went.

create index attendance_intervals_participant on attendance_intervals (participant_id);
