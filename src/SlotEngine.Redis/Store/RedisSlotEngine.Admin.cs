using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <summary>Days opened by one <c>publish_many</c> script call on a standalone server (about 1 ms of Redis's time per call).</summary>
    private const int DaysPerPublishScript = 128;

    /// <summary>Each template's text as Redis stores it, made once (bulk publishing sends it per day).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DayTemplate, string> _templateTexts = new();

    /// <summary>Each day layout's initial bitmap, made once (the core caches layouts per template and day).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DayLayout, byte[]> _initialBitmaps = new(ReferenceEqualityComparer.Instance);

    /// <inheritdoc />
    /// <remarks>The day is opened in Redis first, then laid into this node's read model (a day it opened is known to be empty: no read); another node learns of it from the feed (standalone) or <see cref="WatchAsync"/>.</remarks>
    public async ValueTask PublishAsync(ProviderId provider, DateOnly day, DayTemplate template, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        cancellationToken.ThrowIfCancellationRequested();
        _readModel.ValidateProvider(provider);
        await PublishOneAsync(new CalendarKey(provider, day), template, cancellationToken).ConfigureAwait(false);
        await OfferFreedAsync(new CalendarKey(provider, day), Options.TimeProvider.GetTimestamp()).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens many days at once (the days a nation releases), as <see cref="PublishAsync"/> would one by one:
    /// <paramref name="batchSize"/> days in flight at a time through the multiplexer (pipelined, not one round trip
    /// after another), 128 days per script call; in a cluster the days are grouped by the primary that serves them, so
    /// each call runs on one node (a day whose slot moved meanwhile is opened on its own). Each day opened is laid into this node's read model without reading it back; days
    /// already open with the same template are loaded instead.
    /// </summary>
    /// <param name="days">The days: provider, day, template.</param>
    /// <param name="progress">Told how many days are done so far, each time <paramref name="batchSize"/> more are, and at the end (null: nobody). Reported from the calling flow, in order.</param>
    /// <param name="batchSize">Days in flight at once (default 1,024).</param>
    /// <param name="cancellationToken">Cancels between script calls (calls under way finish).</param>
    /// <returns>How many days were handled.</returns>
    /// <exception cref="SlotEngineArgumentException">An unknown provider, or a day open with another template (<see cref="SlotEngineError.TemplateConflict"/>); days sent before it are open.</exception>
    public async Task<int> PublishManyAsync(IEnumerable<(ProviderId Provider, DateOnly Day, DayTemplate Template)> days, IProgress<int>? progress = null, int batchSize = 1024, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(days);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);

        // A sliding window, not batch after batch: while Redis runs one script the client prepares the next and reads
        // earlier replies, so neither waits for the other at a batch boundary. Progress is reported from this loop only.
        // In a cluster the days are grouped by the primary that serves their hash slots, one chunk being filled per
        // primary, so each script call runs on one node (publish_many.lua) and the primaries work side by side.
        var daysPerCall = Math.Min(DaysPerPublishScript, batchSize);
        var callsInFlight = Math.Max(1, batchSize / daysPerCall);
        var pending = new Queue<(Task Call, int Days)>(callsInFlight + 1);
        var done = 0;
        var reported = 0;
        var groups = _keys.Cluster ? SlotGroups() : null;
        var chunks = new List<(CalendarKey Key, DayTemplate Template)>?[groups is null ? 1 : groups.Max() + 1];

        async Task SlideAsync(int keep)
        {
            while (pending.Count > keep)
            {
                var (call, count) = pending.Dequeue();
                await call.ConfigureAwait(false);
                done += count;
                if (done - reported >= batchSize)
                {
                    reported = done;
                    progress?.Report(done);
                }
            }
        }

        foreach (var (provider, day, template) in days)
        {
            ArgumentNullException.ThrowIfNull(template, nameof(days));
            _readModel.ValidateProvider(provider);
            var key = new CalendarKey(provider, day);
            var group = groups is null ? 0 : groups[_redis.Multiplexer.HashSlot(_keys.ForOnce(key).Meta)];
            var chunk = chunks[group] ??= new List<(CalendarKey, DayTemplate)>(daysPerCall);
            chunk.Add((key, template));
            if (chunk.Count < daysPerCall)
            {
                continue;
            }

            pending.Enqueue((PublishChunkAsync(chunk, cancellationToken), chunk.Count));
            chunks[group] = null;
            await SlideAsync(callsInFlight - 1).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        foreach (var chunk in chunks)
        {
            if (chunk is not null)
            {
                pending.Enqueue((PublishChunkAsync(chunk, cancellationToken), chunk.Count));
            }
        }

        await SlideAsync(0).ConfigureAwait(false);
        if (done != reported)
        {
            progress?.Report(done);
        }

        return done;
    }

    /// <summary>
    /// Each hash slot's group: the primaries by the cluster's slot table as the client knows it now, numbered from 0. A
    /// slot the table does not place is put with the first primary; a day sent to a node that does not serve it is
    /// answered <c>moved</c> and opened on its own (<see cref="PublishChunkAsync"/>), so a stale table costs calls, not days.
    /// </summary>
    private int[] SlotGroups()
    {
        var groups = new int[16384];
        var numbers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var server in _redis.Primaries())
        {
            if (server.ClusterConfiguration is not { } configuration)
            {
                continue;
            }

            foreach (var node in configuration.Nodes)
            {
                if (node.IsReplica || node.EndPoint is null)
                {
                    continue;
                }

                var name = StoreConnection.Format(node.EndPoint);
                if (!numbers.TryGetValue(name, out var number))
                {
                    numbers[name] = number = numbers.Count;
                }

                foreach (var range in node.Slots)
                {
                    for (var slot = range.From; slot <= range.To && slot < groups.Length; slot++)
                    {
                        groups[slot] = number;
                    }
                }
            }

            break; // one node's view of the table is enough
        }

        return groups;
    }

    /// <summary>
    /// Opens up to <see cref="DaysPerPublishScript"/> days with one <c>publish_many</c> script (in a cluster, days of one primary: its keys
    /// span many hash tags), each laid into the read model as <see cref="PublishOneAsync"/> does. The script gets each
    /// day's reference and shape number only (the shapes, template text and initial bitmap, once per call) and names the
    /// keys itself; it answers only the days it did not open (every other one is at version 1).
    /// </summary>
    private async Task PublishChunkAsync(List<(CalendarKey Key, DayTemplate Template)> chunk, CancellationToken cancellationToken)
    {
        var shapes = new List<(string Text, DayTemplate Template, int Slots, byte[] Bitmap)>(2);
        var shapeOf = new int[chunk.Count];
        var stored = new DayTemplate[chunk.Count];
        for (var i = 0; i < chunk.Count; i++)
        {
            var (key, given) = chunk[i];
            var (text, template) = StoredTemplateOf(key.Day, given);
            stored[i] = template;
            var layout = _readModel.LayoutOf(template, key.Day);
            var bitmap = InitialBitmapOf(layout);
            var shape = shapes.Count - 1;
            while (shape >= 0 && !(shapes[shape].Slots == layout.SlotCount && shapes[shape].Text == text && shapes[shape].Bitmap.AsSpan().SequenceEqual(bitmap)))
            {
                shape--; // no closure per day (a chunk has one or two shapes)
            }

            if (shape < 0)
            {
                shape = shapes.Count;
                shapes.Add((text, template, layout.SlotCount, bitmap));
            }

            shapeOf[i] = shape + 1;
        }

        var cluster = _keys.Cluster;
        var args = new RedisArgument[4 + (shapes.Count * 5) + (chunk.Count * (cluster ? 3 : 2))];
        args[0] = _keys.GlobalFeed;
        args[1] = cluster ? "1" : "0";
        args[2] = _keys.Prefix;
        args[3] = shapes.Count;
        var a = 4;
        foreach (var (text, template, slots, bitmap) in shapes)
        {
            args[a++] = text;
            args[a++] = slots;
            args[a++] = template.Capacity;
            args[a++] = BitmapLayout.WordsPerSeat(slots);
            args[a++] = bitmap;
        }

        for (var i = 0; i < chunk.Count; i++)
        {
            // Not kept in the key sets' cache (ForOnce; a claim there makes its own on first use) and the reference as a slice
            // of the set's one array: nothing per day outlives the call (2.25 M sets and strings nationwide before).
            var keys = _keys.ForOnce(chunk[i].Key);
            args[a++] = keys.ReferenceValue;
            args[a++] = shapeOf[i];
            if (cluster)
            {
                args[a++] = keys.Feed; // its hash slot's channel (SlotChannels.cs)
            }

            _feed.BeginOwnPublish(chunk[i].Key);
        }

        // In a cluster the call goes to the node of the first day's slot (its meta key, declared), and this node follows
        // each day's shard channel from before it opens (as PublishOneAsync does), subscriptions pipelined.
        RedisKey[] routing = [];
        if (cluster)
        {
            routing = [_keys.For(chunk[0].Key).Meta];
            var subscriptions = new Task[chunk.Count];
            for (var i = 0; i < chunk.Count; i++)
            {
                subscriptions[i] = EnsureSubscribedAsync(chunk[i].Key, cancellationToken).AsTask();
            }

            await Task.WhenAll(subscriptions).ConfigureAwait(false);
        }

        // Days not opened, by their number in the chunk: (status, version or template text).
        Dictionary<int, (string Status, RedisReply Value)>? notOpened = null;
        var opened = new long[chunk.Count];
        try
        {
            var reply = await PublishManyScriptAsync(routing, args, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i + 2 < reply.Count; i += 3)
            {
                (notOpened ??= [])[(int)reply[i].AsInt64()] = (reply[i + 1].AsString()!, reply[i + 2]);
            }

            for (var i = 0; i < chunk.Count; i++)
            {
                if (notOpened is null || !notOpened.ContainsKey(i))
                {
                    var (key, template) = (chunk[i].Key, stored[i]);
                    opened[i] = _feed.LoadedLocally(key, 1, () => { _readModel.LoadPublished(key, template, 1); return true; }) ? 1 : 0;
                }
            }
        }
        finally
        {
            for (var i = 0; i < chunk.Count; i++)
            {
                _feed.EndOwnPublish(chunk[i].Key, opened[i]);
            }
        }

        SlotEngineArgumentException? conflict = null;
        List<Task<long>>? loads = null;
        for (var i = 0; i < chunk.Count; i++)
        {
            var key = chunk[i].Key;
            (string Status, RedisReply Value) answer = default;
            var answered = notOpened is not null && notOpened.TryGetValue(i, out answer);
            if (answered && answer.Status == "conflict")
            {
                conflict ??= new SlotEngineArgumentException(SlotEngineError.TemplateConflict, $"{key} is already published with another template ({TemplateText.Parse(answer.Value.AsString()!)}); withdraw it first.", "template");
            }
            else if (answered && answer.Status == "moved")
            {
                // Its slot is served by another node now (the table moved since the days were grouped): on its own.
                (loads ??= []).Add(PublishMovedAsync(key, chunk[i].Template, cancellationToken));
            }
            else if (opened[i] == 0 && (_feed.LoadedVersion(key) < (answered ? answer.Value.AsInt64() : 1) || _readModel.Find(key) is null))
            {
                (loads ??= []).Add(_feed.RefreshAsync(key));
            }
        }

        if (loads is not null)
        {
            await BoundedLoadAsync(Task.WhenAll(loads), "published days").ConfigureAwait(false);
        }

        if (conflict is not null)
        {
            throw conflict;
        }
    }

    /// <summary>
    /// Loads many published calendars into this node's read model at once (a node joining a deployment whose days are
    /// open), <paramref name="batchSize"/> loads in flight at a time, and follows them as <see cref="WatchAsync"/> does.
    /// Days not published are skipped.
    /// </summary>
    /// <param name="calendars">The calendars (their providers must be registered).</param>
    /// <param name="progress">Told how many calendars are done so far, after each batch (null: nobody).</param>
    /// <param name="batchSize">Loads in flight at once (default 1,024).</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>How many published calendars were loaded.</returns>
    /// <exception cref="SlotEngineArgumentException">An unknown provider.</exception>
    public async Task<int> WarmAsync(IEnumerable<CalendarKey> calendars, IProgress<int>? progress = null, int batchSize = 1024, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(calendars);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batch = new List<Task<long>>(batchSize);
        var done = 0;
        var loaded = 0;
        foreach (var key in calendars)
        {
            _readModel.ValidateProvider(key.Provider);
            batch.Add(_feed.RefreshAsync(key));
            if (batch.Count == batchSize)
            {
                loaded += await FinishWarmBatchAsync(batch).ConfigureAwait(false);
                done += batchSize;
                progress?.Report(done);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        if (batch.Count > 0)
        {
            done += batch.Count;
            loaded += await FinishWarmBatchAsync(batch).ConfigureAwait(false);
            progress?.Report(done);
        }

        return loaded;
    }

    private async Task<int> FinishWarmBatchAsync(List<Task<long>> batch)
    {
        var versions = await BoundedLoadAsync(Task.WhenAll(batch), "a batch of calendars").ConfigureAwait(false);
        batch.Clear();
        return versions.Count(v => v > 0);
    }

    /// <summary>Opens one day in Redis and lays it into the read model (from the template when this call opened it).</summary>
    private async ValueTask PublishOneAsync(CalendarKey key, DayTemplate given, CancellationToken cancellationToken)
    {
        var (text, template) = StoredTemplateOf(key.Day, given);
        var keys = _keys.For(key);
        var layout = _readModel.LayoutOf(template, key.Day);
        await EnsureSubscribedAsync(key, cancellationToken).ConfigureAwait(false);
        _feed.BeginOwnPublish(key);
        long opened = 0;
        RedisReply reply;
        try
        {
            reply = await EvalAsync(
                StoreScripts.Publish,
                CalendarKeys(keys),
                FeedArgs(keys, text, layout.SlotCount, template.Capacity, BitmapLayout.WordsPerSeat(layout.SlotCount), InitialBitmapOf(layout)),
                cancellationToken).ConfigureAwait(false);
            if (reply[0].AsString() == "ok")
            {
                opened = reply[1].AsInt64();
                if (!_feed.LoadedLocally(key, opened, () => { _readModel.LoadPublished(key, template, opened); return true; }))
                {
                    opened = 0;
                }
            }
        }
        finally
        {
            _feed.EndOwnPublish(key, opened);
        }

        if (reply[0].AsString() == "conflict")
        {
            throw new SlotEngineArgumentException(SlotEngineError.TemplateConflict, $"{key} is already published with another template ({TemplateText.Parse(reply[1].AsString()!)}); withdraw it first.", "template");
        }

        if (opened == 0 && (_feed.LoadedVersion(key) < reply[1].AsInt64() || _readModel.Find(key) is null))
        {
            await BoundedLoadAsync(_feed.RefreshAsync(key), key.ToString()).ConfigureAwait(false);
        }
    }

    /// <summary>Times a <c>publish_many</c> call is sent when it times out (a bulk publish outlives a busy moment of the client or the server).</summary>
    private const int PublishAttempts = 3;

    /// <summary>
    /// One <c>publish_many</c> call, sent again when it times out: safe, since a day it opened the first time is answered
    /// <c>exists</c> the second (and then read back, as a day opened by someone else is).
    /// </summary>
    private async ValueTask<RedisReply> PublishManyScriptAsync(RedisKey[] routing, RedisArgument[] args, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await EvalAsync(StoreScripts.PublishMany, routing, args, cancellationToken).ConfigureAwait(false);
            }
            catch (RedisTimeoutException) when (attempt < PublishAttempts)
            {
                Warn($"Opening a batch of days timed out; sending it again (attempt {attempt + 1} of {PublishAttempts}).");
            }
        }
    }

    private async Task<long> PublishMovedAsync(CalendarKey key, DayTemplate template, CancellationToken cancellationToken)
    {
        await PublishOneAsync(key, template, cancellationToken).ConfigureAwait(false);
        return 1;
    }

    private string TemplateTextOf(DayTemplate template) => _templateTexts.GetOrAdd(template, TemplateText.Format);

    private byte[] InitialBitmapOf(DayLayout layout) => _initialBitmaps.GetOrAdd(layout, BitmapLayout.Initial);

    /// <inheritdoc />
    public async ValueTask<BlockResult> WithdrawAsync(CalendarKey calendar, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureLocalAsync(calendar).ConfigureAwait(false);
        var local = _readModel.Require(calendar);
        var result = await BlockInRedisAsync(calendar, new SlotRange(0, local.SlotCount), withdraw: true, cancellationToken).ConfigureAwait(false);
        _readModel.Remove(calendar);
        return result;
    }

    /// <inheritdoc />
    public async ValueTask<BlockResult> BlockAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureLocalAsync(calendar).ConfigureAwait(false);
        _readModel.ValidateRange(calendar, slots);
        return await BlockInRedisAsync(calendar, slots, withdraw: false, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<BlockResult> BlockInRedisAsync(CalendarKey calendar, SlotRange slots, bool withdraw, CancellationToken cancellationToken)
    {
        var keys = _keys.For(calendar);
        if (withdraw)
        {
            var gone = BlockScriptReply.Parse(calendar, await EvalAsync(StoreScripts.Block, AuditedKeys(keys), FeedArgs(keys, slots.First, slots.Length, "1"), cancellationToken).ConfigureAwait(false));
            if (!gone.Gone)
            {
                _feed.ObserveOwn(calendar, gone.Version);
                CountLapsed(gone.Lapsed);
            }

            return gone.Gone ? throw NotPublished(calendar) : new BlockResult(gone.Closed, gone.Displaced);
        }

        // The script publishes a release per displaced claim, then the close, each its own version (deltas: no node
        // reloads). The close is the last step, so this node lays it in from the reply when it holds the version before
        // (no claim was displaced, or their echoes came first); otherwise the echoes lay it all in.
        BlockScriptReply answer = default;
        _feed.BeginOwnWrite(calendar);
        try
        {
            answer = BlockScriptReply.Parse(calendar, await EvalAsync(StoreScripts.Block, AuditedKeys(keys), FeedArgs(keys, slots.First, slots.Length, "0"), cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            var to = answer.Gone || answer.Closed == 0 ? 0 : answer.Version;
            _feed.EndOwnWrite(calendar, to, to > 0 ? () => _readModel.ApplyClose(calendar, to - 1, to, slots) : null);
        }

        if (answer.Gone)
        {
            _readModel.Remove(calendar);
            throw NotPublished(calendar);
        }

        CountLapsed(answer.Lapsed);
        return new BlockResult(answer.Closed, answer.Displaced);
    }

    /// <inheritdoc />
    public async ValueTask<int> ReopenAsync(CalendarKey calendar, SlotRange slots, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureLocalAsync(calendar).ConfigureAwait(false);
        var local = _readModel.ValidateRange(calendar, slots);
        var offered = new char[slots.Length];
        for (var i = 0; i < slots.Length; i++)
        {
            offered[i] = local.Layout.IsOffered(slots.First + i) ? '1' : '0';
        }

        var keys = _keys.For(calendar);
        ReopenScriptReply answer = default;
        _feed.BeginOwnWrite(calendar);
        try
        {
            answer = ReopenScriptReply.Parse(await EvalAsync(
                StoreScripts.Reopen,
                CalendarKeys(keys),
                FeedArgs(keys, slots.First, slots.Length, new string(offered)),
                cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            // One change, its delta the reopen itself: laid in from the reply (the template and claims here decide as in Redis).
            var to = answer.Gone || answer.Opened == 0 ? 0 : answer.Version;
            _feed.EndOwnWrite(calendar, to, to > 0 ? () => _readModel.ApplyReopen(calendar, to - 1, to, slots) : null);
        }

        if (answer.Gone)
        {
            _readModel.Remove(calendar);
            throw NotPublished(calendar);
        }

        if (answer.Opened > 0)
        {
            await OfferFreedAsync(calendar, Options.TimeProvider.GetTimestamp()).ConfigureAwait(false);
        }

        return answer.Opened;
    }

    /// <inheritdoc />
    /// <remarks>Sweeps the calendars this node holds (by Redis's clock). Quota and idempotency records need no sweep: they carry Redis TTLs.</remarks>
    public async ValueTask<IReadOnlyList<Reservation>> SweepExpiredHoldsAsync(CancellationToken cancellationToken = default) =>
        (await SweepAsync(cancellationToken).ConfigureAwait(false)).All;

    private static SlotEngineArgumentException NotPublished(CalendarKey calendar) =>
        new(SlotEngineError.DayNotPublished, $"{calendar} is not published.", "calendar");
}
