-- Each invited agency gets a link of its own: a random token per invitation. Existing rows get
-- theirs when the organiser next lists the invitations (random tokens cannot be made portably in
-- SQL); many NULLs are allowed under a unique index on both databases.
alter table session_invitations add column token text;
create unique index session_invitations_token on session_invitations (token);

-- How long before the start the organiser sends the reminder text (and calendars alert).
alter table sessions add column reminder_minutes bigint not null default 60;

-- An invited agency says beforehand who to call and how many people and screens to expect. It may
-- change this until the session starts.
create table session_registrations (
    session_id bigint not null references sessions (id),
    agency_id bigint not null references agencies (id),
    contact_name text not null,
    contact_phone text null,
    expected_headcount bigint not null,
    screens bigint not null,
    registered_at_ms bigint not null,
    updated_at_ms bigint not null,
    primary key (session_id, agency_id)
);
