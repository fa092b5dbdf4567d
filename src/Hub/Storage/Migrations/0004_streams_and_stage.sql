-- State is numbered per stream (slides, questions, stage, hands), not by one session-wide counter:
-- a change meant for part of the audience must not make every viewer resync, and a gap in one
-- stream reloads that stream alone. A stream's row is created by its first change; none means 0.
-- Bumping a stream locks its row, so changes to one stream are numbered one after another whichever
-- instance makes them.
create table stream_versions (
    session_id bigint not null references sessions (id),
    stream text not null,
    version bigint not null,
    primary key (session_id, stream)
);

alter table sessions drop column version;

-- A participant's place: 'raised' (hand up, seen by hosts only) or 'on_stage' (may publish).
create table stage_members (
    session_id bigint not null references sessions (id),
    participant_id bigint not null references participants (id),
    state text not null,
    since_ms bigint not null,
    primary key (session_id, participant_id)
);

-- What is published through the media server. A feed belongs to the hub connection that published
-- it: when that connection (or its instance, or Janus) goes, the feed is 'interrupted' until its
-- publisher comes back and publishes again.
create table stage_feeds (
    session_id bigint not null references sessions (id),
    participant_id bigint not null references participants (id),
    kind text not null,
    feed_id bigint not null,
    status text not null,
    has_audio bigint not null,
    has_video bigint not null,
    -- The publisher's m-line ids, so a viewer can subscribe to the sound alone.
    audio_mid text null,
    video_mid text null,
    connection_id text not null,
    instance_id text not null,
    started_at_ms bigint not null,
    primary key (session_id, participant_id, kind)
);

-- What each screen reports receiving (playing, buffering, failed, audio only), one row per participant.
create table reception_reports (
    participant_id bigint primary key references participants (id),
    session_id bigint not null references sessions (id),
    state text not null,
    reported_at_ms bigint not null
);

create index reception_reports_session on reception_reports (session_id);
