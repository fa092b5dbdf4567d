-- Sessions can be edited and cancelled, and carry an agenda.
-- sequence: the calendar SEQUENCE (RFC 5545); one more with every change an invitation shows.
alter table sessions add column sequence bigint not null default 0;
alter table sessions add column cancelled_at_ms bigint;
alter table sessions add column updated_at_ms bigint;

create table session_segments (
    id $ID,
    session_id bigint not null references sessions (id),
    position bigint not null,
    title text not null,
    -- The presenting agency, if one presents this part (the host, or an invited agency).
    agency_id bigint null references agencies (id),
    starts_at_ms bigint not null,
    ends_at_ms bigint not null
);

create index session_segments_session on session_segments (session_id, position);
