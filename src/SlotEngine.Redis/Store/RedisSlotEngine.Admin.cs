using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    /// <inheritdoc />
    /// <remarks>The day is opened in Redis first, then loaded into this node's read model; another node learns of it from the feed (standalone) or <see cref="WatchAsync"/>.</remarks>
    public async ValueTask PublishAsync(ProviderId provider, DateOnly day, DayTemplate template, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        cancellationToken.ThrowIfCancellationRequested();
        _readModel.ValidateProvider(provider);
        var key = new CalendarKey(provider, day);
        var keys = _keys.For(key);
        var layout = _readModel.LayoutOf(template, day);
        await EnsureSubscribedAsync(key, cancellationToken).ConfigureAwait(false);
        var reply = await EvalAsync(
            StoreScripts.Publish,
            CalendarKeys(keys),
            FeedArgs(keys, TemplateText.Format(template), layout.SlotCount, template.Capacity, BitmapLayout.WordsPerSeat(layout.SlotCount), BitmapLayout.Initial(layout)),
            cancellationToken).ConfigureAwait(false);
        if (reply[0].AsString() == "conflict")
        {
            throw new SlotEngineArgumentException(SlotEngineError.TemplateConflict, $"{key} is already published with another template ({TemplateText.Parse(reply[1].AsString()!)}); withdraw it first.", "template");
        }

        if (_feed.LoadedVersion(key) < reply[1].AsInt64() || _readModel.Find(key) is null)
        {
            await BoundedLoadAsync(_feed.RefreshAsync(key), key.ToString()).ConfigureAwait(false);
        }
    }

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
        var reply = await EvalAsync(
            StoreScripts.Block,
            AuditedKeys(keys),
            FeedArgs(keys, slots.First, slots.Length, withdraw ? "1" : "0"),
            cancellationToken).ConfigureAwait(false);
        var closed = (int)reply[0].AsInt64();
        if (closed < 0)
        {
            _readModel.Remove(calendar);
            throw new SlotEngineArgumentException(SlotEngineError.DayNotPublished, $"{calendar} is not published.", "calendar");
        }

        _feed.Observe(calendar, reply[1].AsInt64());
        var displaced = new DisplacedClaim[reply.Count - 2];
        for (var i = 2; i < reply.Count; i++)
        {
            var reservation = StoredClaim.ParseRemoved(calendar, reply[i].AsString()!, out var booked);
            displaced[i - 2] = new DisplacedClaim(reservation, booked);
        }

        return new BlockResult(closed, displaced);
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
        var reply = await EvalAsync(
            StoreScripts.Reopen,
            CalendarKeys(keys),
            FeedArgs(keys, slots.First, slots.Length, new string(offered)),
            cancellationToken).ConfigureAwait(false);
        var opened = (int)reply[0].AsInt64();
        if (opened < 0)
        {
            _readModel.Remove(calendar);
            throw new SlotEngineArgumentException(SlotEngineError.DayNotPublished, $"{calendar} is not published.", "calendar");
        }

        _feed.Observe(calendar, reply[1].AsInt64());
        return opened;
    }

    /// <inheritdoc />
    /// <remarks>Sweeps the calendars this node holds (by Redis's clock). Quota and idempotency records need no sweep: they carry Redis TTLs.</remarks>
    public async ValueTask<IReadOnlyList<Reservation>> SweepExpiredHoldsAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sweeps = new List<(CalendarKey Key, Task<RedisReply> Reply)>();
        foreach (var key in _readModel.Keys())
        {
            var keys = _keys.For(key);
            sweeps.Add((key, EvalAsync(StoreScripts.Sweep, CalendarKeys(keys), FeedArgs(keys), cancellationToken).AsTask()));
        }

        var reclaimed = new List<Reservation>();
        foreach (var (key, task) in sweeps)
        {
            var reply = await task.ConfigureAwait(false);
            if (reply.Count > 1)
            {
                _feed.Observe(key, reply[0].AsInt64());
            }

            for (var i = 1; i < reply.Count; i++)
            {
                reclaimed.Add(StoredClaim.ParseRemoved(key, reply[i].AsString()!, out _));
            }
        }

        return reclaimed;
    }
}
