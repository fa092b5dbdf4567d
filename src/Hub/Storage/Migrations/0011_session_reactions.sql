-- Reactions (issue 9): running totals per session and kind. Each hub instance adds one window's count
-- per session and kind in one upsert, so the totals are exact and shared by every instance; single
-- reactions are not stored (nobody asks who clapped).
create table session_reactions (
    session_id bigint not null references sessions (id),
    kind text not null,
    total bigint not null,
    primary key (session_id, kind)
);
