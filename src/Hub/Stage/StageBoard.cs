using System.Data.Common;
using Dapper;
using LiveExchange.Hub.Live;
using LiveExchange.Hub.Problems;
using LiveExchange.Hub.Storage;
using LiveExchange.Hub.Video;
using LiveExchange.Shared;
using Microsoft.Extensions.Options;

namespace LiveExchange.Hub.Stage;

/// <summary>
/// Who may be seen and heard: raised hands (hosts only), who is on stage, and the feeds published
/// through the media server. All of it lives in the database, so any instance can answer for it and
/// decide who may publish. Hands and stage are two streams: a hand raised changes only what hosts see.
/// </summary>
public sealed class StageBoard(Database database, LiveChanges changes, IOptions<VideoOptions> options, HubInstance instance, TimeProvider clock)
{
    private const string SelectFeeds = """
        select f.feed_id as FeedId, f.participant_id as ParticipantId, a.name as AgencyName, p.display_name as DisplayName,
               f.kind as Kind, f.status as Status, f.has_audio as HasAudio, f.has_video as HasVideo
        from stage_feeds f join participants p on p.id = f.participant_id join agencies a on a.id = p.agency_id
        where f.session_id = @sessionId
        order by case when p.role = 'host' then 0 else 1 end, f.started_at_ms
        """;

    private const string SelectMembers = """
        select m.participant_id as ParticipantId, a.name as AgencyName, a.city as City, p.display_name as DisplayName, m.since_ms as SinceMs
        from stage_members m join participants p on p.id = m.participant_id join agencies a on a.id = p.agency_id
        where m.session_id = @sessionId and m.state = @state
        order by m.since_ms, m.participant_id
        """;

    private const string SelectMyState = "select state from stage_members where session_id = @sessionId and participant_id = @participantId";

    private const string UpsertMember = """
        insert into stage_members (session_id, participant_id, state, since_ms) values (@sessionId, @participantId, @state, @now)
        on conflict (session_id, participant_id) do update set state = excluded.state, since_ms = excluded.since_ms
        """;

    private const string DeleteMember = "delete from stage_members where session_id = @sessionId and participant_id = @participantId and state = @state";

    private const string CountOnStage = "select count(*) from stage_members where session_id = @sessionId and state = 'on_stage'";

    private const string SelectViewer = "select role from participants where id = @participantId and session_id = @sessionId";

    private const string SelectFeedsOf = "select feed_id from stage_feeds where session_id = @sessionId and participant_id = @participantId";

    private const string DeleteFeedsOf = "delete from stage_feeds where session_id = @sessionId and participant_id = @participantId";

    private const string UpsertFeed = """
        insert into stage_feeds (session_id, participant_id, kind, feed_id, status, has_audio, has_video, audio_mid, video_mid, connection_id, instance_id, started_at_ms)
        values (@sessionId, @participantId, @kind, @feedId, 'live', @hasAudio, @hasVideo, @audioMid, @videoMid, @connectionId, @instanceId, @now)
        on conflict (session_id, participant_id, kind) do update set
            feed_id = excluded.feed_id, status = 'live', has_audio = excluded.has_audio, has_video = excluded.has_video,
            audio_mid = excluded.audio_mid, video_mid = excluded.video_mid,
            connection_id = excluded.connection_id, instance_id = excluded.instance_id, started_at_ms = excluded.started_at_ms
        """;

    private const string SelectFeed = """
        select feed_id as FeedId, kind as Kind, status as Status, audio_mid as AudioMid, video_mid as VideoMid
        from stage_feeds where session_id = @sessionId and feed_id = @feedId
        """;

    private const string SelectOldFeed = "select feed_id from stage_feeds where session_id = @sessionId and participant_id = @participantId and kind = @kind";

    private const string DeleteFeed = "delete from stage_feeds where session_id = @sessionId and participant_id = @participantId and kind = @kind and feed_id = @feedId";

    private const string SelectSessionsOfConnection = "select distinct session_id from stage_feeds where connection_id = @connectionId and status = 'live'";

    private const string InterruptConnection = "update stage_feeds set status = 'interrupted' where connection_id = @connectionId and session_id = @sessionId and status = 'live'";

    private const string SelectSessionsOfInstance = "select distinct session_id from stage_feeds where instance_id = @instanceId and status = 'live'";

    private const string InterruptInstance = "update stage_feeds set status = 'interrupted' where instance_id = @instanceId and session_id = @sessionId and status = 'live'";

    public async Task<StageState> StageAsync(DbConnection connection, DbTransaction tx, long sessionId)
    {
        var version = await LiveChanges.VersionAsync(connection, tx, sessionId, LiveStreams.Stage);
        var feeds = await connection.QueryAsync<FeedRow>(SelectFeeds, new { sessionId }, tx);
        var members = await connection.QueryAsync<MemberRow>(SelectMembers, new { sessionId, state = OnStageState }, tx);
        return StageOf(version, feeds, members);
    }

    private static StageState StageOf(long version, IEnumerable<FeedRow> feeds, IEnumerable<MemberRow> members) => new(
        version,
        feeds.Select(f => new StageFeed(f.FeedId, f.ParticipantId, f.AgencyName, f.DisplayName, f.Kind, f.Status, f.HasAudio != 0, f.HasVideo != 0)).ToArray(),
        members.Select(m => new StageMember(m.ParticipantId, m.AgencyName, m.City, m.DisplayName)).ToArray());

    /// <summary>
    /// The stage's reads for a snapshot's batch (parameters @sessionId, @participantId, @state =
    /// <see cref="OnStageState"/>), read back in order by <see cref="ReadSnapshotAsync"/>.
    /// </summary>
    internal const string SnapshotBatch = SelectFeeds + ";\n" + SelectMembers + ";\n" + SelectMyState + ";";

    internal static async Task<(StageState Stage, MyStage Me)> ReadSnapshotAsync(Dapper.SqlMapper.GridReader grid, long version, ExchangeCaller caller)
    {
        var feeds = await grid.ReadAsync<FeedRow>();
        var members = await grid.ReadAsync<MemberRow>();
        var state = await grid.ReadSingleOrDefaultAsync<string?>();
        return (StageOf(version, feeds, members), MeOf(state, caller));
    }

    public async Task<HandsState> HandsAsync(DbConnection connection, DbTransaction tx, long sessionId)
    {
        var version = await LiveChanges.VersionAsync(connection, tx, sessionId, LiveStreams.Hands);
        var raised = await connection.QueryAsync<MemberRow>(SelectMembers, new { sessionId, state = RaisedState }, tx);
        return new HandsState(version, raised
            .Select(m => new RaisedHand(m.ParticipantId, m.AgencyName, m.City, m.DisplayName, DateTimeOffset.FromUnixTimeMilliseconds(m.SinceMs)))
            .ToArray());
    }

    public async Task<MyStage> MeAsync(DbConnection connection, DbTransaction? tx, ExchangeCaller caller)
    {
        var state = await connection.QuerySingleOrDefaultAsync<string?>(SelectMyState, new { sessionId = caller.SessionId, participantId = caller.ParticipantId }, tx);
        return MeOf(state, caller);
    }

    private static MyStage MeOf(string? state, ExchangeCaller caller) => new(state == RaisedState, caller.IsHost || state == OnStageState);

    /// <summary>A viewer raises or lowers its hand; hosts see the list, the viewer its own state.</summary>
    public async Task<MyStage> RaiseHandAsync(ExchangeCaller viewer, bool raised)
    {
        var args = new { sessionId = viewer.SessionId, participantId = viewer.ParticipantId, state = RaisedState, now = clock.GetUtcNow().ToUnixTimeMilliseconds() };
        var (hands, me) = await changes.CommitAsync(viewer.SessionId, LiveStreams.Hands, async (connection, tx, _) =>
        {
            var current = await MeAsync(connection, tx, viewer);
            if (current.OnStage)
            {
                throw ExchangeProblem.Conflict("already_on_stage", "You are already on stage.");
            }

            await connection.ExecuteAsync(raised ? UpsertMember : DeleteMember, args, tx);
            return (await HandsAsync(connection, tx, viewer.SessionId), await MeAsync(connection, tx, viewer));
        }, null);
        await changes.PublishAsync(Audience.Hosts(viewer.SessionId), c => c.HandsChanged(hands));
        await changes.PublishAsync(Audience.Participant(viewer.ParticipantId), c => c.MyStageChanged(me));
        return me;
    }

    /// <summary>The host brings a viewer on stage: it may publish its camera; its raised hand is lowered.</summary>
    public async Task BringOnStageAsync(ExchangeCaller host, long participantId)
    {
        var max = options.Value.MaxOnStage;
        var args = new { sessionId = host.SessionId, participantId, state = OnStageState, now = clock.GetUtcNow().ToUnixTimeMilliseconds() };
        var (stage, hands) = await changes.CommitAsync(host.SessionId, LiveStreams.Stage, async (connection, tx, _) =>
        {
            // Rows locked in one order everywhere (stage, hands, then the member): RaiseHand locks hands
            // then the member, so bumping hands after the member here could deadlock with it.
            await LiveChanges.BumpAsync(connection, tx, host.SessionId, LiveStreams.Hands);
            var role = await connection.QuerySingleOrDefaultAsync<string?>(SelectViewer, args, tx);
            if (role != ParticipantRoles.Viewer)
            {
                throw ExchangeProblem.NotFound("participant_not_found", "No such viewer in this session.");
            }

            var state = await connection.QuerySingleOrDefaultAsync<string?>(SelectMyState, args, tx);
            if (state != OnStageState && await connection.ExecuteScalarAsync<long>(CountOnStage, args, tx) >= max)
            {
                throw ExchangeProblem.Conflict("stage_full", $"At most {max} agencies can be on stage at once.");
            }

            await connection.ExecuteAsync(UpsertMember, args, tx);
            return (await StageAsync(connection, tx, host.SessionId), await HandsAsync(connection, tx, host.SessionId));
        }, null);
        await changes.PublishAsync(Audience.Session(host.SessionId), c => c.StageChanged(stage));
        await changes.PublishAsync(Audience.Hosts(host.SessionId), c => c.HandsChanged(hands));
        await changes.PublishAsync(Audience.Participant(participantId), c => c.MyStageChanged(new MyStage(false, true)));
    }

    /// <summary>Takes a viewer off stage; returns the feeds it had, for the media server to stop.</summary>
    public async Task<long[]> TakeOffStageAsync(ExchangeCaller host, long participantId)
    {
        var args = new { sessionId = host.SessionId, participantId, state = OnStageState };
        var (stage, feeds) = await changes.CommitAsync(host.SessionId, LiveStreams.Stage, async (connection, tx, _) =>
        {
            if (await connection.ExecuteAsync(DeleteMember, args, tx) == 0)
            {
                throw ExchangeProblem.NotFound("not_on_stage", "That agency is not on stage.");
            }

            var feeds = (await connection.QueryAsync<long>(SelectFeedsOf, args, tx)).ToArray();
            await connection.ExecuteAsync(DeleteFeedsOf, args, tx);
            return (await StageAsync(connection, tx, host.SessionId), feeds);
        }, null);
        await changes.PublishAsync(Audience.Session(host.SessionId), c => c.StageChanged(stage));
        await changes.PublishAsync(Audience.Participant(participantId), c => c.MyStageChanged(new MyStage(false, false)));
        return feeds;
    }

    /// <summary>Refuses anyone who may not publish: hosts may, viewers only while on stage.</summary>
    public async Task RequirePublisherAsync(ExchangeCaller caller)
    {
        if (caller.IsHost)
        {
            return;
        }

        await using var connection = await database.OpenAsync();
        if (!(await MeAsync(connection, null, caller)).OnStage)
        {
            throw ExchangeProblem.Forbidden("not_on_stage", "Only the host and agencies on stage can send video.");
        }
    }

    /// <summary>Records a feed now carried by the media server; returns the feed it replaces, if any.</summary>
    public async Task<long?> RecordFeedAsync(ExchangeCaller caller, string kind, long feedId, MediaLines lines, string connectionId)
    {
        var args = new
        {
            sessionId = caller.SessionId,
            participantId = caller.ParticipantId,
            kind,
            feedId,
            hasAudio = lines.AudioMid is null ? 0L : 1L,
            hasVideo = lines.VideoMid is null ? 0L : 1L,
            audioMid = lines.AudioMid,
            videoMid = lines.VideoMid,
            connectionId,
            instanceId = instance.Id,
            now = clock.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        var (stage, old) = await changes.CommitAsync(caller.SessionId, LiveStreams.Stage, async (connection, tx, _) =>
        {
            // Checked again under the stage lock: taken off stage while the offer was being answered.
            if (!caller.IsHost && !(await MeAsync(connection, tx, caller)).OnStage)
            {
                throw ExchangeProblem.Forbidden("not_on_stage", "Only the host and agencies on stage can send video.");
            }

            var old = await connection.QuerySingleOrDefaultAsync<long?>(SelectOldFeed, args, tx);
            await connection.ExecuteAsync(UpsertFeed, args, tx);
            return (await StageAsync(connection, tx, caller.SessionId), old);
        }, null);
        await changes.PublishAsync(Audience.Session(caller.SessionId), c => c.StageChanged(stage));
        return old == feedId ? null : old;
    }

    public async Task EndFeedAsync(ExchangeCaller caller, string kind, long feedId)
    {
        var args = new { sessionId = caller.SessionId, participantId = caller.ParticipantId, kind, feedId };
        var stage = await changes.CommitAsync(caller.SessionId, LiveStreams.Stage, async (connection, tx, _) =>
        {
            await connection.ExecuteAsync(DeleteFeed, args, tx);
            return await StageAsync(connection, tx, caller.SessionId);
        }, null);
        await changes.PublishAsync(Audience.Session(caller.SessionId), c => c.StageChanged(stage));
    }

    /// <summary>The feeds a closed hub connection published stop; viewers show "interrupted" until it publishes again.</summary>
    public Task InterruptConnectionAsync(string connectionId) =>
        InterruptAsync(SelectSessionsOfConnection, InterruptConnection, new { connectionId });

    /// <summary>The media server went away: every feed this instance carried is interrupted.</summary>
    public Task InterruptInstanceAsync() =>
        InterruptAsync(SelectSessionsOfInstance, InterruptInstance, new { instanceId = instance.Id });

    /// <summary>Another instance is gone (killed, crashed): the feeds it carried are interrupted for everyone.</summary>
    public Task InterruptInstanceAsync(string instanceId) =>
        InterruptAsync(SelectSessionsOfInstance, InterruptInstance, new { instanceId });

    public async Task<FeedInfo?> FindFeedAsync(long sessionId, long feedId)
    {
        await using var connection = await database.OpenAsync();
        return await connection.QuerySingleOrDefaultAsync<FeedInfo>(SelectFeed, new { sessionId, feedId });
    }

    private async Task InterruptAsync(string selectSessions, string interrupt, object args)
    {
        await using var connection = await database.OpenAsync();
        var sessions = (await connection.QueryAsync<long>(selectSessions, args)).ToArray();
        foreach (var sessionId in sessions)
        {
            var stage = await changes.CommitAsync(sessionId, LiveStreams.Stage, async (c, tx, _) =>
            {
                var parameters = new DynamicParameters(args);
                parameters.Add("sessionId", sessionId);
                await c.ExecuteAsync(interrupt, parameters, tx);
                return await StageAsync(c, tx, sessionId);
            }, null);
            await changes.PublishAsync(Audience.Session(sessionId), c => c.StageChanged(stage));
        }
    }

    private const string RaisedState = "raised";
    internal const string OnStageState = "on_stage";

    private sealed class FeedRow
    {
        public long FeedId { get; init; }

        public long ParticipantId { get; init; }

        public string AgencyName { get; init; } = "";

        public string DisplayName { get; init; } = "";

        public string Kind { get; init; } = "";

        public string Status { get; init; } = "";

        public long HasAudio { get; init; }

        public long HasVideo { get; init; }
    }

    private sealed class MemberRow
    {
        public long ParticipantId { get; init; }

        public string AgencyName { get; init; } = "";

        public string City { get; init; } = "";

        public string DisplayName { get; init; } = "";

        public long SinceMs { get; init; }
    }
}

public sealed class FeedInfo
{
    public long FeedId { get; init; }

    public string Kind { get; init; } = "";

    public string Status { get; init; } = "";

    public string? AudioMid { get; init; }

    public string? VideoMid { get; init; }
}
