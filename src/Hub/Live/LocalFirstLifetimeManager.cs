using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using StackExchange.Redis;

namespace LiveExchange.Hub.Live;

/// <summary>
/// The stream and version of the event being sent, set by <see cref="LiveChanges.CommitAsync{T}"/> around its
/// publish so that the lifetime manager can hand each instance's screens a stream's events in version order.
/// </summary>
internal static class DeliveryOrder
{
    private static readonly AsyncLocal<(string Stream, long Version)?> CurrentValue = new();

    public static (string Stream, long Version)? Current
    {
        get => CurrentValue.Value;
        set => CurrentValue.Value = value;
    }
}

/// <summary>
/// Group sends that reach this instance's own connections at once and the other instances through Redis.
/// <para>
/// SignalR's Redis backplane publishes a group send and delivers it when Redis hands it back, on the
/// sending instance too: the host's own instance waits a Redis round trip, and under load the queue in
/// front of Redis, before its first viewer hears of a page change. Here the sending instance writes to
/// its members first, publishes once for the others (serialised once per protocol, on one channel per
/// group that only instances with members subscribe to), and ignores its own message when Redis echoes it.
/// </para>
/// <para>
/// Order: an instance's screens get a stream's events in version order. Two publishers on two instances
/// (a host page and its presenter view) can otherwise be seen in opposite orders: each instance would see
/// its own change before the other's. So each instance keeps, per group and stream, the last version it
/// delivered; an event that skips ahead waits (at most <see cref="GapWait"/>) for the missing one to arrive,
/// then goes anyway: the clients reload a stream when they see a gap, as they always did. An instance
/// learns where a stream stands from the first of its events it delivers to a group (until then it has
/// nothing to hold against). Only streams all of whose versions go to one group are ordered
/// (<see cref="LiveChanges.OrderedStreams"/>); other events go at once, checked by the clients' versions.
/// </para>
/// <para>
/// It replaces SignalR's Redis backplane for this hub: sends to a user, a connection or everyone go to
/// the connections here at once and through one channel every instance reads (<see cref="DirectChannel"/>),
/// so a join subscribes nothing in Redis. Client results (invoking a client and awaiting its answer) are
/// not used by this hub and not supported.
/// </para>
/// </summary>
internal sealed class LocalFirstLifetimeManager<THub> : HubLifetimeManager<THub> where THub : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>How long an event that skips a version waits for the missing one from another instance.</summary>
    public static readonly TimeSpan GapWait = TimeSpan.FromMilliseconds(200);

    private const byte FormatVersion = 1;

    private readonly IConnectionMultiplexer _redis;
    private readonly IHubProtocolResolver _protocols;
    private readonly string _instance;
    private readonly ILogger _logger;
    private readonly Operations.ExchangeMetrics _metrics;
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, HubConnectionContext>> _users = new(StringComparer.Ordinal);
    private readonly Lock _directLock = new();
    private Task<ChannelMessageQueue>? _direct;
    private readonly Dictionary<string, GroupMembers> _groups = new(StringComparer.Ordinal);
    private readonly Lock _groupsLock = new();
    private readonly Lock _usersLock = new();
    // Subscribing and unsubscribing a channel one at a time: StackExchange.Redis's own bookkeeping can lose a
    // subscription made while the last one of the same channel is being removed (a screen reconnecting).
    private readonly SemaphoreSlim _subscriptions = new(1, 1);

    public LocalFirstLifetimeManager(IConnectionMultiplexer redis, IHubProtocolResolver protocols,
        HubInstance instance, Operations.ExchangeMetrics metrics, ILogger<LocalFirstLifetimeManager<THub>> logger)
    {
        (_redis, _protocols, _metrics, _logger) = (redis, protocols, metrics, logger);
        // Unique per process, so a restarted instance with the same name never mistakes another's message for its echo.
        _instance = instance.Id + "/" + Guid.NewGuid().ToString("N");
    }

    private static RedisChannel GroupChannel(string group) => RedisChannel.Literal("lf:group:" + group);

    /// <summary>
    /// One channel, which every instance reads, for sends to a user, a connection or everyone. SignalR's
    /// backplane subscribes two Redis channels per connection (its id and its user) at every join; these
    /// sends are few (a participant's own question, its stage invitation), so each instance reading all of
    /// them costs less than a subscription per screen, in memory and in round trips per join.
    /// </summary>
    private static readonly RedisChannel DirectChannel = RedisChannel.Literal("lf:direct");

    private const byte ToUsers = 0, ToConnections = 1, ToAll = 2, ToGroup = 3;

    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        _connections[connection.ConnectionId] = connection;
        if (connection.UserIdentifier is { } user)
        {
            lock (_usersLock)
            {
                _users.GetOrAdd(user, _ => new(StringComparer.Ordinal))[connection.ConnectionId] = connection;
            }
        }

        EnsureDirectSubscription();
        return Task.CompletedTask;
    }

    private void EnsureDirectSubscription()
    {
        lock (_directLock)
        {
            if (_direct is null || _direct.IsFaulted || _direct.IsCanceled)
            {
                // Not awaited: a join must not fail for it while Redis is away; the next join tries again.
                _direct = SubscribeDirectAsync();
                _direct.ContinueWith(t => _logger.LogWarning("Subscribing to direct sends failed: {Reason}", t.Exception?.GetBaseException().Message),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            }
        }
    }

    private Task<ChannelMessageQueue> SubscribeDirectAsync() => SubscribeAsync(DirectChannel, null);

    /// <summary>
    /// Subscribes one reader to <paramref name="channel"/>. A failed try (Redis away) leaves nothing behind:
    /// StackExchange.Redis registers the queue before asking the server, and would otherwise keep filling
    /// a queue nobody reads once Redis is back.
    /// </summary>
    private async Task<ChannelMessageQueue> SubscribeAsync(RedisChannel channel, string? groupName)
    {
        await _subscriptions.WaitAsync();
        try
        {
            var queue = await _redis.GetSubscriber().SubscribeAsync(channel);
            // One message after another, in the order Redis carries them.
            queue.OnMessage(message => OnRemoteAsync(groupName, message.Message));
            return queue;
        }
        catch
        {
            try
            {
                await _redis.GetSubscriber().UnsubscribeAsync(channel);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Removed here even when the server could not be told; it is not subscribed there either.
            }

            throw;
        }
        finally
        {
            _subscriptions.Release();
        }
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _connections.TryRemove(connection.ConnectionId, out _);
        if (connection.UserIdentifier is { } user)
        {
            lock (_usersLock)
            {
                if (_users.TryGetValue(user, out var mine) && mine.TryRemove(connection.ConnectionId, out _) && mine.IsEmpty)
                {
                    _users.TryRemove(user, out _);
                }
            }
        }

        string[] groups;
        lock (connection.Items)
        {
            groups = connection.Items.TryGetValue(GroupsKey, out var joined) && joined is List<string> list ? list.ToArray() : [];
        }

        foreach (var group in groups)
        {
            await LeaveAsync(connection.ConnectionId, group);
        }
    }

    private const string GroupsKey = "lx:local-groups";

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (!_connections.TryGetValue(connectionId, out var connection))
        {
            // A connection's own hub call adds it to a group: it is always on this instance.
            throw new InvalidOperationException($"Connection {connectionId} is not on this instance.");
        }

        Task subscribed;
        lock (_groupsLock)
        {
            if (!_groups.TryGetValue(groupName, out var members))
            {
                members = _groups[groupName] = new GroupMembers();
            }

            if (members.Subscription is null || members.Subscription.IsFaulted || members.Subscription.IsCanceled)
            {
                // First member, or the last try failed (Redis away): this join fails and its client retries.
                members.Subscription = SubscribeAsync(GroupChannel(groupName), groupName);
            }

            members.Connections[connectionId] = connection;
            subscribed = members.Subscription;
            lock (connection.Items)
            {
                if (!connection.Items.TryGetValue(GroupsKey, out var list))
                {
                    connection.Items[GroupsKey] = list = new List<string>();
                }

                ((List<string>)list!).Add(groupName);
            }
        }

        // The caller reads its snapshot next: it must not miss an event another instance sends after that read.
        await subscribed.WaitAsync(cancellationToken);
    }

    public override async Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (!_connections.ContainsKey(connectionId))
        {
            throw new InvalidOperationException($"Connection {connectionId} is not on this instance.");
        }

        await LeaveAsync(connectionId, groupName);
    }

    private async Task LeaveAsync(string connectionId, string groupName)
    {
        Task<ChannelMessageQueue>? unsubscribe = null;
        lock (_groupsLock)
        {
            if (_groups.TryGetValue(groupName, out var members) && members.Connections.TryRemove(connectionId, out var connection))
            {
                lock (connection.Items)
                {
                    if (connection.Items.TryGetValue(GroupsKey, out var list))
                    {
                        ((List<string>)list!).Remove(groupName);
                    }
                }

                if (members.Connections.IsEmpty)
                {
                    _groups.Remove(groupName);
                    unsubscribe = members.Subscription;
                }
            }
        }

        if (unsubscribe is not null)
        {
            try
            {
                var queue = await unsubscribe;
                await _subscriptions.WaitAsync();
                try
                {
                    // This reader only: a member joining meanwhile has made a new one on the same channel.
                    await queue.UnsubscribeAsync();
                }
                finally
                {
                    _subscriptions.Release();
                }
            }
            catch (Exception e)
            {
                // Its subscription had failed (then nothing is left of it), or Redis is away.
                _logger.LogDebug("Unsubscribing from {Group} failed: {Reason}", groupName, e.Message);
            }
        }
    }

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendGroupCoreAsync(groupName, methodName, args, excluded: null);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) =>
        SendGroupCoreAsync(groupName, methodName, args, excludedConnectionIds);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        Task.WhenAll(groupNames.Select(g => SendGroupCoreAsync(g, methodName, args, excluded: null)));

    private async Task SendGroupCoreAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string>? excluded)
    {
        var message = new SerializedHubMessage(new InvocationMessage(methodName, args));
        var order = DeliveryOrder.Current;
        // Published first: the other instances' fan-out runs while this one writes to its own members.
        var published = _redis.GetSubscriber().PublishAsync(GroupChannel(groupName), Encode(ToGroup, [], message, order, excluded));
        await DeliverAsync(groupName, message, order, excluded);
        await published;
    }

    private Task OnRemoteAsync(string? groupName, RedisValue payload)
    {
        try
        {
            var (origin, kind, targets, message, order, excluded) = Decode((byte[])payload!);
            if (origin == _instance)
            {
                return Task.CompletedTask;
            }

            return kind switch
            {
                ToGroup when groupName is not null => DeliverAsync(groupName, message, order, excluded),
                ToUsers => WriteToAsync(targets.SelectMany(LocalConnectionsOf), message),
                ToConnections => WriteToAsync(targets.Select(id => _connections.GetValueOrDefault(id)).OfType<HubConnectionContext>(), message),
                ToAll => WriteToAsync(_connections.Values.Where(c => excluded?.Contains(c.ConnectionId) != true), message),
                _ => Task.CompletedTask,
            };
        }
        catch (Exception e)
        {
            _logger.LogWarning("A message from the backplane could not be read: {Reason}", e.Message);
            return Task.CompletedTask;
        }
    }

    private IEnumerable<HubConnectionContext> LocalConnectionsOf(string user) =>
        _users.TryGetValue(user, out var mine) ? mine.Values : [];

    /// <summary>Writes here to whichever targets are here, and publishes once for the other instances.</summary>
    private async Task SendDirectAsync(byte kind, IReadOnlyList<string> targets, IEnumerable<HubConnectionContext> here, string methodName, object?[] args,
        IReadOnlyList<string>? excluded = null)
    {
        var message = new SerializedHubMessage(new InvocationMessage(methodName, args));
        var published = _redis.GetSubscriber().PublishAsync(DirectChannel, Encode(kind, targets, message, null, excluded));
        await WriteToAsync(here, message);
        await published;
    }

    private static Task WriteToAsync(IEnumerable<HubConnectionContext> connections, SerializedHubMessage message)
    {
        List<Task>? pending = null;
        foreach (var connection in connections)
        {
            var write = connection.WriteAsync(message);
            if (!write.IsCompletedSuccessfully)
            {
                (pending ??= []).Add(write.AsTask());
            }
        }

        return pending is null ? Task.CompletedTask : Task.WhenAll(pending);
    }

    private Task DeliverAsync(string groupName, SerializedHubMessage message, (string Stream, long Version)? order, IReadOnlyList<string>? excluded)
    {
        GroupMembers? members;
        lock (_groupsLock)
        {
            _groups.TryGetValue(groupName, out members);
        }

        if (members is null)
        {
            return Task.CompletedTask;
        }

        if (order is not { } o)
        {
            return WriteAsync(members, message, excluded);
        }

        var state = members.Order.GetOrAdd(o.Stream, _ => new StreamOrder());
        lock (state)
        {
            if (state.Last != 0 && o.Version > state.Last + 1)
            {
                state.Held.TryAdd(o.Version, new Pending(message, excluded));
                if (!state.Waiting)
                {
                    state.Waiting = true;
                    _ = ReleaseAfterGapWaitAsync(members, state, ++state.Generation);
                }

                return Task.CompletedTask;
            }

            state.Last = Math.Max(state.Last, o.Version);
            // The writes are issued under the stream's lock, so no later version overtakes them on any
            // connection (each connection queues its writes in the order they are issued).
            var writes = new List<Task> { WriteAsync(members, message, excluded) };
            WriteContiguous(members, state, writes);
            return Task.WhenAll(writes);
        }
    }

    private void WriteContiguous(GroupMembers members, StreamOrder state, List<Task> writes)
    {
        while (state.Held.Count > 0 && state.Held.Keys[0] <= state.Last + 1)
        {
            var next = state.Held.Keys[0];
            var pending = state.Held.Values[0];
            state.Held.RemoveAt(0);
            state.Last = Math.Max(state.Last, next);
            writes.Add(WriteAsync(members, pending.Message, pending.Excluded));
        }

        if (state.Held.Count == 0)
        {
            state.Waiting = false;
        }
    }

    private async Task ReleaseAfterGapWaitAsync(GroupMembers members, StreamOrder state, long generation)
    {
        await Task.Delay(GapWait);
        Task written;
        lock (state)
        {
            if (!state.Waiting || state.Generation != generation || state.Held.Count == 0)
            {
                return;
            }

            // The missing version did not come: go on from the first held one; clients see the gap and reload.
            state.Last = state.Held.Keys[0] - 1;
            var writes = new List<Task>();
            WriteContiguous(members, state, writes);
            _metrics.OrderGapReleased(writes.Count);
            if (state.Held.Count > 0)
            {
                state.Waiting = true;
                _ = ReleaseAfterGapWaitAsync(members, state, ++state.Generation);
            }

            written = Task.WhenAll(writes);
        }

        await written;
    }

    private static Task WriteAsync(GroupMembers members, SerializedHubMessage message, IReadOnlyList<string>? excluded)
    {
        List<Task>? pending = null;
        foreach (var (id, connection) in members.Connections)
        {
            if (excluded is not null && excluded.Contains(id))
            {
                continue;
            }

            // The connection's outbox takes the bytes without waiting for its client (ConnectionOutbox).
            var write = connection.WriteAsync(message);
            if (!write.IsCompletedSuccessfully)
            {
                (pending ??= []).Add(write.AsTask());
            }
        }

        return pending is null ? Task.CompletedTask : Task.WhenAll(pending);
    }

    // --- The message on the wire between instances: origin, order, exclusions, then the bytes per protocol.

    private byte[] Encode(byte kind, IReadOnlyList<string> targets, SerializedHubMessage message, (string Stream, long Version)? order,
        IReadOnlyList<string>? excluded)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(FormatVersion);
            writer.Write(_instance);
            writer.Write(kind);
            writer.Write(targets.Count);
            foreach (var target in targets)
            {
                writer.Write(target);
            }

            writer.Write(order?.Stream ?? "");
            writer.Write(order?.Version ?? 0);
            writer.Write(excluded?.Count ?? 0);
            foreach (var id in excluded ?? [])
            {
                writer.Write(id);
            }

            writer.Write(_protocols.AllProtocols.Count);
            foreach (var protocol in _protocols.AllProtocols)
            {
                var bytes = message.GetSerializedMessage(protocol);
                writer.Write(protocol.Name);
                writer.Write(bytes.Length);
                writer.Write(bytes.Span);
            }
        }

        return stream.ToArray();
    }

    private static (string Origin, byte Kind, string[] Targets, SerializedHubMessage Message, (string, long)? Order, IReadOnlyList<string>? Excluded) Decode(
        byte[] payload)
    {
        using var reader = new BinaryReader(new MemoryStream(payload));
        if (reader.ReadByte() != FormatVersion)
        {
            throw new InvalidDataException("Unknown backplane message format.");
        }

        var origin = reader.ReadString();
        var kind = reader.ReadByte();
        var targets = new string[reader.ReadInt32()];
        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = reader.ReadString();
        }

        var stream = reader.ReadString();
        var version = reader.ReadInt64();
        var excludedCount = reader.ReadInt32();
        var excluded = excludedCount == 0 ? null : new string[excludedCount];
        for (var i = 0; i < excludedCount; i++)
        {
            excluded![i] = reader.ReadString();
        }

        var count = reader.ReadInt32();
        var serialized = new List<SerializedMessage>(count);
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var bytes = reader.ReadBytes(reader.ReadInt32());
            serialized.Add(new SerializedMessage(name, bytes));
        }

        return (origin, kind, targets, new SerializedHubMessage(serialized), stream.Length == 0 ? null : (stream, version), excluded);
    }

    // --- Sends to users, connections and everyone: here at once, elsewhere through the one direct channel.

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendDirectAsync(ToAll, [], _connections.Values, methodName, args);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        SendDirectAsync(ToAll, [], _connections.Values.Where(c => !excludedConnectionIds.Contains(c.ConnectionId)), methodName, args, excludedConnectionIds);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        // A connection's own reply (Clients.Caller) is always here: no need to publish it.
        _connections.TryGetValue(connectionId, out var connection)
            ? WriteToAsync([connection], new SerializedHubMessage(new InvocationMessage(methodName, args)))
            : SendDirectAsync(ToConnections, [connectionId], [], methodName, args);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendDirectAsync(ToConnections, connectionIds, connectionIds.Select(id => _connections.GetValueOrDefault(id)).OfType<HubConnectionContext>(), methodName, args);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendDirectAsync(ToUsers, [userId], LocalConnectionsOf(userId), methodName, args);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendDirectAsync(ToUsers, userIds, userIds.SelectMany(LocalConnectionsOf), methodName, args);

    private sealed class GroupMembers
    {
        public ConcurrentDictionary<string, HubConnectionContext> Connections { get; } = new(StringComparer.Ordinal);

        public Task<ChannelMessageQueue>? Subscription { get; set; }

        /// <summary>Per ordered stream, what this instance delivered to the group: lives and dies with the group.</summary>
        public ConcurrentDictionary<string, StreamOrder> Order { get; } = new(StringComparer.Ordinal);
    }

    private sealed class StreamOrder
    {
        public long Last { get; set; }

        public bool Waiting { get; set; }

        /// <summary>Which gap wait is current: an older timer finds another number and does nothing.</summary>
        public long Generation { get; set; }

        public SortedList<long, Pending> Held { get; } = [];
    }

    private sealed record Pending(SerializedHubMessage Message, IReadOnlyList<string>? Excluded);
}
