-- Each hub instance says it is alive every few seconds. An attendance interval left open by an
-- instance that stopped saying so (a crash, a kill) ends at its last heartbeat, not "now".
create table hub_instances (
    instance_id text primary key,
    started_at_ms bigint not null,
    seen_at_ms bigint not null
);

-- The question rate limit counts a participant's recent questions.
create index questions_participant_time on questions (participant_id, asked_at_ms);
