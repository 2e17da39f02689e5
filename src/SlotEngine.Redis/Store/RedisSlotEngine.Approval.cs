using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// Approval (issue 11, docs/lifecycle.md): confirm and approve through one script, <c>confirm.lua</c>, which judges the
/// approval deadline by Redis <c>TIME</c>; sweeps report unapproved bookings released at their deadline apart.
/// </summary>
public sealed partial class RedisSlotEngine
{
    private long _unapprovedReleased;

    /// <summary>
    /// How many unapproved bookings (<see cref="SlotEngineOptions.Approval"/>) this engine has seen released at their
    /// deadline so far: by its own claims that reclaimed them on the way (the claim script's reply says how many, whether the
    /// claim then succeeded or not), its own sweeps and its own blocks and withdrawals. Releases made by other nodes are
    /// counted there, so the sum over nodes counts each lapse once. As the in-memory engine's
    /// <c>InMemorySlotEngine.UnapprovedReleased</c>; the hosting metric <c>slotengine.approvals.lapsed</c> observes it.
    /// </summary>
    public long UnapprovedReleased => Volatile.Read(ref _unapprovedReleased);

    /// <summary>Counts unapproved bookings released at their deadline (a claim's lazy reclaim or a sweep).</summary>
    private void CountLapsed(int released)
    {
        if (released > 0)
        {
            Interlocked.Add(ref _unapprovedReleased, released);
        }
    }

    /// <inheritdoc />
    public ValueTask<ClaimResult> ApproveAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        ConfirmOrApproveAsync(reservation, approve: true, cancellationToken);

    /// <summary>Sweep scripts in flight at once.</summary>
    private const int SweepWindow = 1024;

    /// <inheritdoc />
    /// <remarks>Sweeps the calendars this node holds (by Redis's clock). Quota and idempotency records need no sweep: they carry Redis TTLs.</remarks>
    public async ValueTask<SweepResult> SweepAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var expired = new List<Reservation>();
        var unapproved = new List<Reservation>();
        Exception? failure = null;

        // 1,024 calendars in flight at a time: a nation's 2.25 M at once had timed out on the client. Key names are made
        // without keeping them (ForOnce): a sweep must not hold a key set for every calendar of the country.
        var sweeps = new List<(CalendarKey Key, Task<RedisReply> Reply)>(SweepWindow);
        foreach (var window in _readModel.Keys().Chunk(SweepWindow))
        {
            sweeps.Clear();
            foreach (var key in window)
            {
                var keys = _keys.ForOnce(key);
                _feed.BeginOwnWrite(key);
                sweeps.Add((key, EvalAsync(StoreScripts.Sweep, AuditedKeys(keys), FeedArgs(keys, _options.AuditStreamMaxLength), cancellationToken).AsTask()));
            }

            // Each hold freed is a release of its own version in the feed (a delta: no node reloads). The last one is laid in
            // from the reply when this node holds the version before it; otherwise the echoes lay them all in.
            foreach (var (key, task) in sweeps)
            {
                RedisReply reply;
                try
                {
                    reply = await task.ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisException or TimeoutException or OperationCanceledException)
                {
                    _feed.EndOwnWrite(key, 0, null);
                    failure ??= e;
                    continue;
                }

                if (reply.Count <= 1)
                {
                    _feed.EndOwnWrite(key, 0, null);
                    continue;
                }

                var to = reply[0].AsInt64();
                var last = default(Reservation);
                for (var i = 1; i < reply.Count; i++)
                {
                    var text = reply[i].AsString()!;

                    // sweep.lua appends "|u" to the description of an unapproved booking (lapse in lib.lua).
                    var lapsed = text.EndsWith("|u", StringComparison.Ordinal);
                    last = StoredClaim.ParseRemoved(key, lapsed ? text[..^2] : text, out _);
                    (lapsed ? unapproved : expired).Add(last);
                }

                _feed.EndOwnWrite(key, to, () => _readModel.ApplyRelease(key, to - 1, to, last.Seat, last.Slots.First, last.Token));
            }
        }

        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        var result = new SweepResult(expired, unapproved) { WishesPurged = await PurgeWishesIfDueAsync(cancellationToken).ConfigureAwait(false) };
        CountLapsed(unapproved.Count);

        // Both kinds freed their slots: the waitlist is offered them alike.
        await OfferFreedAsync(result.All).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A confirm or an approval: <see cref="ConfirmOperation"/> (pooled, no state machine box) when nothing can make it wait beyond
    /// its one script (no replica to wait for, no cancellation, its calendar loaded), else <see cref="ConfirmOrApproveSlowAsync"/>.
    /// Both run the same steps and read the reply with the same <see cref="ConfirmAnswered"/>.
    /// </summary>
    private ValueTask<ClaimResult> ConfirmOrApproveAsync(Reservation reservation, bool approve, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled || _options.WaitForReplicas != 0 || reservation.IsDefault || _readModel.Find(reservation.Calendar) is null)
        {
            return ConfirmOrApproveSlowAsync(reservation, approve, cancellationToken);
        }

        ValueTask<RespResult> pending;
        ReadModelFeed.State feed;
        try
        {
            // ResolveAsync's steps when the calendar is loaded (EnsureLocalAsync's check included), then the script call.
            _readModel.ValidateProvider(reservation.Calendar.Provider);
            if (_readModel.ValidateReservation(reservation) is not { } calendar)
            {
                return new ValueTask<ClaimResult>(ClaimResult.Failed(ClaimStatus.Stale));
            }

            var keys = KeysAndFeedOf(reservation.Calendar, out feed);
            var args = ConfirmArgs(reservation, approve, calendar, keys, out var hex);
            _feed.BeginOwnWrite(feed);
            try
            {
                pending = _redis.EvalRawAsync(_redis.NextDurable(), StoreScripts.Confirm, AuditedKeys(keys), args, giveBackKeys: false, cancellationToken, hex);
            }
            catch
            {
                _feed.EndOwnWrite(reservation.Calendar, feed, 0, default);
                throw;
            }
        }
        catch (Exception e)
        {
            return ValueTask.FromException<ClaimResult>(e); // as the async method would: in the task, not thrown here
        }

        return ConfirmOperation.Start(this, reservation, approve, feed, pending);
    }

    /// <summary>confirm.lua's arguments (rented: the call gives them back, and <paramref name="hex"/>, the patient's hex's bytes).</summary>
    private RedisArgument[] ConfirmArgs(in Reservation reservation, bool approve, ReadModelCalendar calendar, CalendarKeySet keys, out byte[] hex)
    {
        var (neededBefore, deadline) = approve ? (0, 0) : _readModel.Rules.ApprovalOf(calendar.Day);
        return FeedArgs(
            keys,
            reservation.Seat,
            reservation.Slots.First,
            reservation.Token,
            ArgumentBytes.Shared.RentHex(reservation.Patient.Value, out hex),
            approve ? "1" : "0",
            deadline == 0 ? 0 : UnixMs.FromTicks(deadline),
            neededBefore == 0 ? 0 : UnixMs.FromTicks(neededBefore));
    }

    /// <summary>
    /// Ends a confirm's own write from confirm.lua's answer and says what it means; a booking (or an unapproved one) the caller
    /// still waits for replicas on (<paramref name="touch"/>: the script wrote nothing, so write something first).
    /// </summary>
    private ClaimResult ConfirmAnswered(in Reservation reservation, bool approve, ReadModelFeed.State feed, in ChangeScriptReply answer, out bool touch)
    {
        touch = answer.Version == 0;
        if (answer.Status == ChangeScriptStatus.Unapproved)
        {
            // Still (or now) an unapproved booking: a hold expiring at its deadline. When the version moved, the script's bump
            // carried the delta '~seat,first,token,deadline' (FeedOp.AwaitApproval), laid in here as every node lays it in.
            EndOwnWrite(
                reservation.Calendar,
                feed,
                answer.Version,
                answer.Version == 0 ? default : new FeedDelta(FeedOp.AwaitApproval, reservation.Seat, reservation.Slots.First, 0, reservation.Token, default, answer.DeadlineMs, AwaitsApproval: true));
            return ClaimResult.Success(reservation with { HoldExpiresAt = UnixMs.ToDateTimeOffset(answer.DeadlineMs) });
        }

        EndOwnWrite(reservation.Calendar, feed, answer.Version, new FeedDelta(FeedOp.Confirm, reservation.Seat, reservation.Slots.First, 0, reservation.Token, default, 0));
        switch (answer.Status)
        {
            case ChangeScriptStatus.Ok:
                return ClaimResult.Success(reservation with { HoldExpiresAt = null });
            case ChangeScriptStatus.Expired:
                return ClaimResult.Failed(approve ? ClaimStatus.ApprovalLapsed : ClaimStatus.HoldExpired);
            default:
                // As in memory: a stale hold whose expiry has passed (by Redis's clock) reads as expired.
                var now = UnixMs.ToDateTimeOffset(answer.NowMs);
                return ClaimResult.Failed(reservation.HoldExpiresAt is { } expiry && expiry <= now
                    ? (approve ? ClaimStatus.ApprovalLapsed : ClaimStatus.HoldExpired)
                    : ClaimStatus.Stale);
        }
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ClaimResult> ConfirmOrApproveSlowAsync(Reservation reservation, bool approve, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var calendar = await ResolveAsync(reservation).ConfigureAwait(false);
        if (calendar is null)
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var keys = KeysAndFeedOf(reservation.Calendar, out var feed);
        var link = _redis.NextDurable();
        var args = ConfirmArgs(reservation, approve, calendar, keys, out var hex);

        // An own write awaited here (not through OwnWriteAsync: one async layer less); a failure ends it, success below.
        _feed.BeginOwnWrite(feed);
        RespResult raw;
        try
        {
            raw = await _redis.EvalRawAsync(link, StoreScripts.Confirm, AuditedKeys(keys), args, giveBackKeys: false, cancellationToken, hex).ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(reservation.Calendar, feed, 0, default);
            throw;
        }

        var answer = ChangeScriptReply.ParseAndDispose(raw);

        var result = ConfirmAnswered(reservation, approve, feed, answer, out var touch);
        if (result.Succeeded)
        {
            await WaitForReplicasAsync(link, keys, result.Reservation, touch, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>
    /// A confirm's wait for its script, as a pooled object instead of an async state machine: its box was some 140 B of a
    /// booking's garbage (the pooling builder keeps one per thread and core, and misses with tens of confirms in flight).
    /// </summary>
    private sealed class ConfirmOperation : ReplyOperation<ConfirmOperation>
    {
        private RedisSlotEngine? _engine;
        private Reservation _reservation;
        private ReadModelFeed.State? _feedState;
        private bool _approve;

        /// <summary>Waits for <paramref name="pending"/> (the own write begun on <paramref name="feed"/>) and ends the confirm from its reply.</summary>
        public static ValueTask<ClaimResult> Start(RedisSlotEngine engine, in Reservation reservation, bool approve, ReadModelFeed.State feed, ValueTask<RespResult> pending)
        {
            var operation = Rent();
            operation._engine = engine;
            operation._reservation = reservation;
            operation._approve = approve;
            operation._feedState = feed;
            return operation.Await(pending);
        }

        protected override void OnReply(System.Runtime.CompilerServices.ConfiguredValueTaskAwaitable<RespResult>.ConfiguredValueTaskAwaiter awaiter)
        {
            var engine = _engine!;
            var reservation = _reservation;
            var approve = _approve;
            var feed = _feedState!;
            _engine = null;
            _reservation = default;
            _feedState = null;
            ClaimResult result;
            try
            {
                var raw = ReplyOrEndOwnWrite(awaiter, engine, reservation.Calendar, feed);

                var answer = ChangeScriptReply.ParseAndDispose(raw);

                result = engine.ConfirmAnswered(reservation, approve, feed, answer, out _); // no replica to wait for: never on this path
            }
            catch (Exception e)
            {
                SetException(e);
                return;
            }

            SetResult(result);
        }
    }
}
