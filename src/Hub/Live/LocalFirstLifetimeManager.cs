using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;
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
/// Everything else (user sends, a connection's own replies, client results) is the Redis manager's.
/// </summary>
internal sealed class LocalFirstLifetimeManager<THub> : HubLifetimeManager<THub>, IDisposable where THub : Microsoft.AspNetCore.SignalR.Hub
{
    /// <summary>How long an event that skips a version waits for the missing one from another instance.</summary>
    public static readonly TimeSpan GapWait = TimeSpan.FromMilliseconds(200);

    private const byte FormatVersion = 1;

    private readonly RedisHubLifetimeManager<THub> _inner;
    private readonly IConnectionMultiplexer _redis;
    private readonly IHubProtocolResolver _protocols;
    private readonly string _instance;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GroupMembers> _groups = new(StringComparer.Ordinal);
    private readonly Lock _groupsLock = new();
    private readonly ConcurrentDictionary<(string Group, string Stream), StreamOrder> _order = new();

    public LocalFirstLifetimeManager(RedisHubLifetimeManager<THub> inner, IConnectionMultiplexer redis, IHubProtocolResolver protocols,
        HubInstance instance, ILogger<LocalFirstLifetimeManager<THub>> logger)
    {
        (_inner, _redis, _protocols, _logger) = (inner, redis, protocols, logger);
        // Unique per process, so a restarted instance with the same name never mistakes another's message for its echo.
        _instance = instance.Id + "/" + Guid.NewGuid().ToString("N");
    }

    private static RedisChannel GroupChannel(string group) => RedisChannel.Literal("lf:group:" + group);

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        _connections[connection.ConnectionId] = connection;
        await _inner.OnConnectedAsync(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _connections.TryRemove(connection.ConnectionId, out _);
        if (connection.Items.TryGetValue(GroupsKey, out var joined) && joined is List<string> groups)
        {
            foreach (var group in groups.ToArray())
            {
                await LeaveAsync(connection.ConnectionId, group);
            }
        }

        await _inner.OnDisconnectedAsync(connection);
    }

    private const string GroupsKey = "lx:local-groups";

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (!_connections.TryGetValue(connectionId, out var connection))
        {
            // Only a connection's own hub call adds it to a group here; anything else is the backplane's.
            await _inner.AddToGroupAsync(connectionId, groupName, cancellationToken);
            return;
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
                members.Subscription = SubscribeAsync(groupName);
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
            await _inner.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);
            return;
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
            foreach (var key in _order.Keys.Where(k => k.Group == groupName))
            {
                _order.TryRemove(key, out _);
            }

            try
            {
                // This subscription only: a member joining meanwhile has made a new one on the same channel.
                await (await unsubscribe).UnsubscribeAsync();
            }
            catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
            {
                _logger.LogDebug("Unsubscribing from {Group} failed: {Reason}", groupName, e.Message);
            }
        }
    }

    private async Task<ChannelMessageQueue> SubscribeAsync(string groupName)
    {
        var queue = await _redis.GetSubscriber().SubscribeAsync(GroupChannel(groupName));
        // One message after another, in the order Redis carries them.
        queue.OnMessage(message => OnRemoteAsync(groupName, message.Message));
        return queue;
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
        var published = _redis.GetSubscriber().PublishAsync(GroupChannel(groupName), Encode(message, order, excluded));
        await DeliverAsync(groupName, message, order, excluded);
        await published;
    }

    private Task OnRemoteAsync(string groupName, RedisValue payload)
    {
        try
        {
            var (origin, message, order, excluded) = Decode((byte[])payload!);
            return origin == _instance ? Task.CompletedTask : DeliverAsync(groupName, message, order, excluded);
        }
        catch (Exception e)
        {
            _logger.LogWarning("A group message from the backplane could not be read: {Reason}", e.Message);
            return Task.CompletedTask;
        }
    }

    private Task DeliverAsync(string groupName, SerializedHubMessage message, (string Stream, long Version)? order, IReadOnlyList<string>? excluded)
    {
        if (order is not { } o)
        {
            return WriteAsync(groupName, message, excluded);
        }

        var state = _order.GetOrAdd((groupName, o.Stream), _ => new StreamOrder());
        List<Pending> ready;
        lock (state)
        {
            if (state.Last != 0 && o.Version > state.Last + 1)
            {
                state.Held[o.Version] = new Pending(message, excluded);
                if (!state.Waiting)
                {
                    state.Waiting = true;
                    _ = ReleaseAfterGapWaitAsync(groupName, state);
                }

                return Task.CompletedTask;
            }

            state.Last = Math.Max(state.Last, o.Version);
            ready = [new Pending(message, excluded)];
            TakeContiguous(state, ready);
        }

        return WriteAllAsync(groupName, ready);
    }

    private static void TakeContiguous(StreamOrder state, List<Pending> ready)
    {
        while (state.Held.Count > 0 && state.Held.Keys[0] <= state.Last + 1)
        {
            var next = state.Held.Keys[0];
            ready.Add(state.Held.Values[0]);
            state.Held.RemoveAt(0);
            state.Last = Math.Max(state.Last, next);
        }

        if (state.Held.Count == 0)
        {
            state.Waiting = false;
        }
    }

    private async Task ReleaseAfterGapWaitAsync(string groupName, StreamOrder state)
    {
        await Task.Delay(GapWait);
        List<Pending> ready = [];
        lock (state)
        {
            if (!state.Waiting || state.Held.Count == 0)
            {
                return;
            }

            // The missing version did not come: go on from the first held one; clients see the gap and reload.
            state.Last = state.Held.Keys[0] - 1;
            TakeContiguous(state, ready);
            if (state.Held.Count > 0)
            {
                state.Waiting = true;
                _ = ReleaseAfterGapWaitAsync(groupName, state);
            }
        }

        await WriteAllAsync(groupName, ready);
    }

    private async Task WriteAllAsync(string groupName, List<Pending> ready)
    {
        foreach (var p in ready)
        {
            await WriteAsync(groupName, p.Message, p.Excluded);
        }
    }

    private Task WriteAsync(string groupName, SerializedHubMessage message, IReadOnlyList<string>? excluded)
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

    private byte[] Encode(SerializedHubMessage message, (string Stream, long Version)? order, IReadOnlyList<string>? excluded)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(FormatVersion);
            writer.Write(_instance);
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

    private static (string Origin, SerializedHubMessage Message, (string, long)? Order, IReadOnlyList<string>? Excluded) Decode(byte[] payload)
    {
        using var reader = new BinaryReader(new MemoryStream(payload));
        if (reader.ReadByte() != FormatVersion)
        {
            throw new InvalidDataException("Unknown group message format.");
        }

        var origin = reader.ReadString();
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

        return (origin, new SerializedHubMessage(serialized), stream.Length == 0 ? null : (stream, version), excluded);
    }

    // --- The rest is the Redis backplane's, unchanged.

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendAllAsync(methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds, CancellationToken cancellationToken = default) =>
        _inner.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken) =>
        _inner.InvokeConnectionAsync<T>(connectionId, methodName, args, cancellationToken);

    public override Task SetConnectionResultAsync(string connectionId, CompletionMessage result) =>
        _inner.SetConnectionResultAsync(connectionId, result);

    public override bool TryGetReturnType(string invocationId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type) =>
        _inner.TryGetReturnType(invocationId, out type);

    public void Dispose() => _inner.Dispose();

    private sealed class GroupMembers
    {
        public ConcurrentDictionary<string, HubConnectionContext> Connections { get; } = new(StringComparer.Ordinal);

        public Task<ChannelMessageQueue>? Subscription { get; set; }
    }

    private sealed class StreamOrder
    {
        public long Last { get; set; }

        public bool Waiting { get; set; }

        public SortedList<long, Pending> Held { get; } = [];
    }

    private sealed record Pending(SerializedHubMessage Message, IReadOnlyList<string>? Excluded);
}
