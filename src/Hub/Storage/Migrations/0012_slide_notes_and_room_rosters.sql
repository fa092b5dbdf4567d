-- Issue 10, the two tables more than one feature reads, laid down first so those features can be built
-- side by side. Each feature adds what only it needs in a migration of its own.

-- Speaker notes per deck page: typed by the host in the host page, or taken from a PowerPoint deck's
-- notes when it is converted. Keyed by deck, not session: a note belongs to the slide it was written for,
-- and a new deck starts with its own (or none).
create table slide_notes (
    deck_id bigint not null references decks (id),
    page bigint not null,
    text text not null,
    -- 'typed' (host page) or 'deck' (taken from the uploaded file); a typed note replaces a deck note.
    source text not null,
    updated_at_ms bigint not null,
    primary key (deck_id, page)
);

-- Who sits in front of a shared screen: one row per person a participant (a screen) lists. The roster
-- is the screen's headcount when it has one. People arrive late and leave early, so a row is never
-- deleted during a session: it is closed (removed_at_ms), and presence per person is the screen's
-- attendance between added_at_ms and removed_at_ms. Retention blanks the names, never the rows.
create table room_members (
    id $ID,
    session_id bigint not null references sessions (id),
    participant_id bigint not null references participants (id),
    name text not null,
    job_title text null,
    added_at_ms bigint not null,
    removed_at_ms bigint null
);

create index room_members_participant on room_members (participant_id);
create index room_members_session on room_members (session_id);
