-- The first schema. Times are Unix milliseconds (bigint) so both databases store and return them
-- the same way; every integer is bigint so Dapper reads a long on both.

create table agencies (
    id $ID,
    name text not null,
    city text not null,
    province text not null,
    created_at_ms bigint not null
);

create table sessions (
    id $ID,
    code text not null unique,
    title text not null,
    description text not null,
    host_agency_id bigint not null references agencies (id),
    starts_at_ms bigint not null,
    ends_at_ms bigint not null,
    time_zone text not null,
    host_token text not null unique,
    -- Increases by one with every change a client sees (page, deck, question; votes are counts, see 0002).
    version bigint not null default 0,
    current_page bigint not null default 1,
    deck_id bigint null,
    created_at_ms bigint not null
);

create table session_invitations (
    session_id bigint not null references sessions (id),
    agency_id bigint not null references agencies (id),
    primary key (session_id, agency_id)
);

create table decks (
    id $ID,
    session_id bigint not null references sessions (id),
    file_name text not null,
    page_count bigint not null,
    size_bytes bigint not null,
    content $BLOB not null,
    uploaded_at_ms bigint not null
);

create table participants (
    id $ID,
    session_id bigint not null references sessions (id),
    token text not null unique,
    role text not null,
    agency_id bigint not null references agencies (id),
    display_name text not null,
    headcount bigint not null,
    created_at_ms bigint not null
);

create index participants_session on participants (session_id);

create table attendance_intervals (
    id $ID,
    participant_id bigint not null references participants (id),
    session_id bigint not null references sessions (id),
    connection_id text not null unique,
    instance_id text not null,
    headcount bigint not null,
    joined_at_ms bigint not null,
    left_at_ms bigint null
);

create index attendance_intervals_session on attendance_intervals (session_id);

create table questions (
    id $ID,
    session_id bigint not null references sessions (id),
    participant_id bigint not null references participants (id),
    text text not null,
    votes bigint not null default 0,
    asked_at_ms bigint not null
);

create index questions_session on questions (session_id);

create table question_votes (
    question_id bigint not null references questions (id),
    participant_id bigint not null references participants (id),
    voted_at_ms bigint not null,
    primary key (question_id, participant_id)
);

create table settings (
    key text primary key,
    value text not null
);
