-- A session's state follows its times (scheduled, open for joining, live, ended); the organiser may
-- open joining early or end it, and each instance carries an end out once: closed_at_ms says it was
-- (open attendance intervals closed, everyone connected told).
alter table sessions add column opened_at_ms bigint;
alter table sessions add column ended_at_ms bigint;
alter table sessions add column closed_at_ms bigint;

-- Where a join came from, so one address cannot make unlimited participants; and the organiser's
-- removal of a participant (its token stops working, its questions and votes are gone).
alter table participants add column joined_from text;
alter table participants add column removed_at_ms bigint;
create index participants_session_address on participants (session_id, joined_from);

-- A question carries the key its client made, so a retry after a reconnect or a database restart
-- is stored once.
alter table questions add column client_key text;
create unique index questions_client_key on questions (participant_id, client_key);
