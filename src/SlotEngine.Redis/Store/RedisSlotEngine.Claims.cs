using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

public sealed partial class RedisSlotEngine
{
    private const int MaxLeaseRetries = 3;

    /// <inheritdoc />
    /// <remarks>
    /// Order of work: validate locally (same exceptions as in memory); with an idempotency key, claim the
    /// key's owner record (another request with it is refused) and return an earlier result if there is
    /// one; take quota entries under the patient's hash tag; run the
    /// claim script on the calendar (which judges time by Redis's clock and refuses a quota lease that
    /// ran out); give the quota entries back when the claim definitely did not happen. A connection lost
    /// or a timeout leaves the outcome unknown: the entries stay (they resolve against the calendar
    /// later), the exception is thrown, and a retry with the same idempotency key is safe.
    /// </remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ClaimResult> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await EnsureLocalAsync(request.Calendar).ConfigureAwait(false);
        var calendar = _readModel.ValidateClaim(request);
        var keys = _keys.For(request.Calendar);
        var digest = request.IdempotencyKey is null ? string.Empty : Digest(request); // only keyed requests are compared
        var ownsKey = false;
        if (request.IdempotencyKey is { } idempotencyKey)
        {
            var (earlier, created) = await BeginIdempotentAsync(request, idempotencyKey, keys, digest, cancellationToken).ConfigureAwait(false);
            if (earlier is { } done)
            {
                if (!request.IsHold)
                {
                    // A retry of a booking waits for replicas as the first attempt did (which may have failed just there).
                    await WaitForReplicasAsync(_redis.NextDurable(), keys, done.Reservation, touch: true, cancellationToken).ConfigureAwait(false);
                }

                return done;
            }

            ownsKey = created;
        }

        // Bookings that wait for replicas run on a durable link: the claim script and its WAIT on one connection of their own.
        var link = request.IsHold ? _redis.Main : _redis.NextDurable();
        var outcome = ClaimStatus.Taken;
        string? callPlace = null; // the call counter holding a place for this claim, given back unless the claim happened
        bool KeepCallPlace()
        {
            callPlace = null; // unknown outcome: the place stays taken (conservative, as quota entries)
            return false;
        }

        try
        {
            if (_readModel.Rules.CountsAgainstCall(request))
            {
                callPlace = await TakeCallPlaceAsync(request.CallId!, cancellationToken).ConfigureAwait(false);
                if (callPlace is null)
                {
                    return ClaimResult.Failed(outcome = ClaimStatus.CallLimitReached);
                }
            }

            if (_readModel.Rules.ChecksBars(request) && await IsBarredAsync(request.Patient, calendar, cancellationToken).ConfigureAwait(false))
            {
                return ClaimResult.Failed(outcome = ClaimStatus.Barred);
            }

            // No local pre-check of "in the past" or the booking window: the claim script judges both by Redis
            // TIME, and this node's clock may run ahead (it would refuse what Redis books). Issue 8.4.
            for (var attempt = 0; ; attempt++)
            {
                var active = await AcquireActiveAsync(request, calendar, digest, cancellationToken).ConfigureAwait(false);
                if (active is null)
                {
                    return ClaimResult.Failed(outcome = ClaimStatus.ActiveLimitReached);
                }

                var lease = await AcquireQuotaAsync(request, calendar, digest, cancellationToken, active.IsEmpty ? null : active.Nonce).ConfigureAwait(false);
                if (lease is null)
                {
                    await ReleaseQuotaAsync(active, request.IdempotencyKey is null ? null : keys).ConfigureAwait(false);
                    return ClaimResult.Failed(outcome = ClaimStatus.QuotaExceeded);
                }

                (lease, active) = CombineLeases(lease, active);

                var reply = await OwnWriteAsync(request.Calendar, () => RunClaimScriptAsync(link, request, calendar, keys, digest, lease, cancellationToken)).ConfigureAwait(false);
                var answer = ClaimScriptReply.Parse(reply);
                if (answer.Claimed)
                {
                    // "again": the same request claimed earlier, under the same quota entries (a keyed
                    // request's nonce comes from its key), which stay with that claim.

                    var reservation = new Reservation(
                        request.Calendar,
                        request.Slots,
                        answer.Seat,
                        answer.Token,
                        request.Patient,
                        answer.HoldExpiryMs == 0 ? null : UnixMs.ToDateTimeOffset(answer.HoldExpiryMs));
                    if (answer.Status == ClaimScriptStatus.Ok)
                    {
                        // Expired holds reclaimed on the way are not in the reply: then the read model reloads.
                        // A booking awaiting approval comes back with an expiry (its deadline) and is kept as a hold.
                        var held = answer.HoldExpiryMs != 0;
                        var claimed = new ReadModelClaim(reservation.Seat, request.Slots.First, request.Slots.Length, reservation.Token, request.Patient, !held, held ? UnixMs.ToTicks(answer.HoldExpiryMs) : 0);
                        EndOwnWrite(request.Calendar, answer.Version, !answer.Reclaimed ? (from, to) => _readModel.ApplyClaim(request.Calendar, from, to, claimed) : null);
                    }
                    else
                    {
                        EndOwnWrite(request.Calendar, 0, null);
                        await GiveCallPlaceBackAsync(callPlace).ConfigureAwait(false); // a replay: its first attempt holds the call's place
                        callPlace = null;
                    }

                    outcome = ClaimStatus.Succeeded;
                    if (!request.IsHold)
                    {
                        await WaitForReplicasAsync(link, keys, reservation, touch: answer.Status == ClaimScriptStatus.Again, cancellationToken).ConfigureAwait(false);
                    }

                    return ClaimResult.Success(reservation);
                }

                // Every other answer means the claim did not happen: give the quota entries back.
                EndOwnWrite(request.Calendar, 0, null);
                await ReleaseQuotaAsync(lease, request.IdempotencyKey is null ? null : keys).ConfigureAwait(false);
                await ReleaseQuotaAsync(active, request.IdempotencyKey is null ? null : keys).ConfigureAwait(false);
                switch (answer.Status)
                {
                    case ClaimScriptStatus.Lease when attempt < MaxLeaseRetries:
                        continue;
                    case ClaimScriptStatus.Lease:
                        return ClaimResult.Failed(outcome = ClaimStatus.QuotaExceeded);
                    case ClaimScriptStatus.Window:
                        return ClaimResult.Failed(outcome = ClaimStatus.OutsideBookingWindow);
                    case ClaimScriptStatus.Past:
                        return ClaimResult.Failed(outcome = ClaimStatus.InPast);
                    case ClaimScriptStatus.Closed:
                        return ClaimResult.Failed(outcome = ClaimStatus.Closed);
                    case ClaimScriptStatus.Taken:
                        return ClaimResult.Failed(outcome = ClaimStatus.Taken);
                    case ClaimScriptStatus.Reused:
                        throw Reused(request);
                    case ClaimScriptStatus.Tokens:
                        throw new SlotEngineArgumentException(SlotEngineError.TokensExhausted, $"{request.Calendar} has issued all {Stores.ReadModel.MaxToken} fencing tokens it can; withdraw and publish the day again.");
                    case ClaimScriptStatus.Gone:
                        _readModel.Remove(request.Calendar);
                        throw new SlotEngineArgumentException(SlotEngineError.DayNotPublished, $"{request.Calendar} is not published.", "calendar");
                    default:
                        throw new SlotEngineRedisException($"The claim script answered '{reply}'.");
                }
            }
        }
        catch (Exception e) when (callPlace is not null && e is RedisException or TimeoutException or OperationCanceledException && KeepCallPlace())
        {
            throw; // never reached: the filter only marks the call's place as kept
        }
        catch (Exception e) when (ownsKey && e is RedisException or TimeoutException or OperationCanceledException)
        {
            outcome = ClaimStatus.Succeeded; // unknown: keep the key's owner record, so that a retry stays exactly-once
            throw;
        }
        finally
        {
            if (callPlace is not null && outcome != ClaimStatus.Succeeded)
            {
                await GiveCallPlaceBackAsync(callPlace).ConfigureAwait(false);
            }

            if (ownsKey && outcome != ClaimStatus.Succeeded)
            {
                // Only successful claims are remembered (as in memory): a failed one leaves the key free.
                await ForgetOwnerAsync(request.IdempotencyKey!).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<ClaimResult> ConfirmAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        ConfirmOrApproveAsync(reservation, approve: false, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> ReleaseAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        RemoveAsync(reservation, CancelActor.Administrator, AuditAction.Release, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> CancelAsync(Reservation reservation, CancelActor actor, CancellationToken cancellationToken = default) =>
        RemoveAsync(reservation, actor, AuditAction.Cancel, cancellationToken);

    private async ValueTask<ClaimResult> RemoveAsync(Reservation reservation, CancelActor actor, AuditAction action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var calendar = await ResolveAsync(reservation).ConfigureAwait(false);
        if (calendar is null)
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        RedisArgument cutoff = actor == CancelActor.Administrator
            ? string.Empty
            : UnixMs.FromTicks(_readModel.Rules.CancelDeadlineUtcTicks(calendar.Layout.StartUtcTicks(reservation.Slots.First)));
        var keys = _keys.For(reservation.Calendar);
        var reply = await OwnWriteAsync(reservation.Calendar, () => EvalAsync(
            StoreScripts.Release,
            AuditedKeys(keys),
            FeedArgs(keys, reservation.Seat, reservation.Slots.First, reservation.Token, cutoff, Hex(reservation.Patient), (int)action, actor == CancelActor.Administrator ? (int)Actor.Administrator : (int)Actor.Patient),
            cancellationToken)).ConfigureAwait(false);
        var answer = ChangeScriptReply.Parse(reply);
        EndOwnWrite(
            reservation.Calendar,
            answer.Version,
            (from, to) => _readModel.ApplyRelease(reservation.Calendar, from, to, reservation.Seat, reservation.Slots.First, reservation.Token));
        switch (answer.Status)
        {
            case ChangeScriptStatus.Ok:
                return ClaimResult.Success(reservation);
            case ChangeScriptStatus.Late:
                return ClaimResult.Failed(ClaimStatus.CancelTooLate);
            default:
                return ClaimResult.Failed(ClaimStatus.Stale);
        }
    }

    /// <summary>
    /// Runs a script that may change the calendar as one of this node's own writes (its feed echo waits for the
    /// reply): on success the caller must call <see cref="EndOwnWrite"/>; a failure ends the write here.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RedisReply> OwnWriteAsync(CalendarKey calendar, Func<ValueTask<RedisReply>> script)
    {
        _feed.BeginOwnWrite(calendar);
        try
        {
            return await script().ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(calendar, 0, null);
            throw;
        }
    }

    /// <summary>
    /// Ends an own write: a change to <paramref name="toVersion"/> (0: none) is laid into the read model by
    /// <paramref name="apply"/> (given the versions before and after) when it holds exactly the version before; else it reloads.
    /// </summary>
    private void EndOwnWrite(CalendarKey calendar, long toVersion, Func<long, long, bool>? apply) =>
        _feed.EndOwnWrite(calendar, toVersion, apply is null || toVersion <= 0 ? null : () => apply(toVersion - 1, toVersion));

    /// <summary>Validates a reservation as in memory; null when its calendar is not published (then it is stale).</summary>
    private async ValueTask<ReadModelCalendar?> ResolveAsync(Reservation reservation)
    {
        if (!reservation.IsDefault)
        {
            await EnsureLocalAsync(reservation.Calendar).ConfigureAwait(false);
        }

        return _readModel.ValidateReservation(reservation);
    }

    private ValueTask<RedisReply> RunClaimScriptAsync(StoreConnection.Link link, ClaimRequest request, ReadModelCalendar calendar, CalendarKeySet keys, string digest, QuotaLease lease, CancellationToken cancellationToken)
    {
        var (open, close) = _readModel.Rules.BookingWindowOf(calendar.Day);
        var holdMs = request.HoldFor is { } ttl ? Math.Max(1, (long)Math.Ceiling(ttl.TotalMilliseconds)) : 0;
        var (approvalNeededBefore, approvalDeadline) = request.HoldFor is null ? _readModel.Rules.ApprovalOf(calendar.Day) : (0, 0);
        RedisKey[] scriptKeys = request.IdempotencyKey is { } key
            ? [keys.Meta, keys.Free, keys.Claims, keys.Nonces, keys.IdempotencyPrefix + key]
            : CalendarKeys(keys);
        if (_readModel.Rules.Audit)
        {
            scriptKeys = [.. scriptKeys, keys.Audit];
        }

        return _redis.EvalShaAsync(
            link,
            StoreScripts.Claim,
            scriptKeys,
            FeedArgs(
                keys,
                request.Slots.First,
                request.Slots.Length,
                Hex(request.Patient),
                holdMs,
                UnixMs.FromTicks(calendar.Layout.StartUtcTicks(request.Slots.First)),
                UnixMs.FromTicks(open),
                UnixMs.FromTicks(close),
                lease.Nonce,
                lease.DeadlineMs,
                digest,
                _retentionMs,
                Stores.ReadModel.MaxToken,
                _readModel.Rules.Audit ? "1" : "0",
                (int)request.Actor,
                (int)request.Channel,
                approvalNeededBefore == 0 ? 0 : UnixMs.FromTicks(approvalNeededBefore),
                approvalDeadline == 0 ? 0 : UnixMs.FromTicks(approvalDeadline)),
            cancellationToken);
    }

    /// <summary>
    /// Claims the idempotency key's owner record (<c>{i:key}</c>, wherever the calendar lives): refuses the
    /// key when it was used for another request; returns the earlier result when this is a retry of a
    /// claim that happened. Returns null when this call should claim.
    /// </summary>
    private async ValueTask<(ClaimResult? Earlier, bool Created)> BeginIdempotentAsync(ClaimRequest request, string key, CalendarKeySet keys, string digest, CancellationToken cancellationToken)
    {
        var ownerKey = _keys.IdempotencyOwnerKey(key);
        var owner = await _redis.SetIfAbsentGetAsync(ownerKey, digest, _retentionMs, cancellationToken).ConfigureAwait(false);
        if (owner.IsNull)
        {
            return (null, true);
        }

        if (owner.AsString() != digest)
        {
            throw Reused(request);
        }

        // An earlier attempt failed, or is still running, when there is no record: claim (the script settles a race).
        return (await ReadIdempotencyRecordAsync(request, keys, cancellationToken).ConfigureAwait(false), false);
    }

    private async ValueTask<ClaimResult?> ReadIdempotencyRecordAsync(ClaimRequest request, CalendarKeySet keys, CancellationToken cancellationToken)
    {
        var record = await _redis.GetAsync(keys.IdempotencyPrefix + request.IdempotencyKey!, cancellationToken).ConfigureAwait(false);
        if (record.IsNull)
        {
            return null;
        }

        var earlier = IdempotencyRecord.Parse(record.AsString()!);
        return ClaimResult.Success(new Reservation(
            request.Calendar,
            request.Slots,
            earlier.Seat,
            earlier.Token,
            request.Patient,
            earlier.HoldExpiryMs == 0 ? null : UnixMs.ToDateTimeOffset(earlier.HoldExpiryMs)));
    }

    private async ValueTask ForgetOwnerAsync(string key)
    {
        var ownerKey = _keys.IdempotencyOwnerKey(key);
        try
        {
            await _redis.DeleteAsync(ownerKey, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Best effort: the record only keeps this key for this same request until it expires.
        }
    }

    /// <summary>
    /// <c>WAIT</c> on <paramref name="link"/> (the link the booking's script ran on) for <see cref="RedisSlotEngineOptions.WaitForReplicas"/>
    /// replicas; with <paramref name="touch"/> (the script wrote nothing: a retry, or a booking confirmed already), a small
    /// write in the calendar's slot first, so that the <c>WAIT</c> covers the earlier write that made the booking.
    /// </summary>
    private async ValueTask WaitForReplicasAsync(StoreConnection.Link link, CalendarKeySet keys, Reservation booked, bool touch, CancellationToken cancellationToken)
    {
        if (_options.WaitForReplicas == 0)
        {
            return;
        }

        if (touch)
        {
            await _redis.TouchAsync(link, keys.Meta, cancellationToken).ConfigureAwait(false);
        }

        var timeout = (long)Math.Ceiling(_options.WaitForReplicasTimeout.TotalMilliseconds);
        var acknowledged = await _redis.WaitForReplicasAsync(link, keys.Meta, _options.WaitForReplicas, timeout, cancellationToken).ConfigureAwait(false);
        if (acknowledged < _options.WaitForReplicas)
        {
            throw new ReplicationTimeoutException($"{booked} is booked on the primary, but only {acknowledged} of {_options.WaitForReplicas} replicas acknowledged it within {_options.WaitForReplicasTimeout}; retry with the same idempotency key, or confirm again, to wait again.")
            {
                Reservation = booked,
                Acknowledged = acknowledged,
            };
        }
    }

    private static SlotEngineArgumentException Reused(ClaimRequest request) => new(
        SlotEngineError.IdempotencyKeyReused,
        $"The idempotency key '{request.IdempotencyKey}' was already used for another request.",
        "key");

    /// <summary>What makes two claims "the same request" for an idempotency key (as in memory: calendar, slots, patient, hold time).</summary>
    private static string Digest(ClaimRequest request) =>
        StoreKeys.CalendarRef(request.Calendar) + ":" + request.Slots.First.ToString(CultureInfo.InvariantCulture) + ":" +
        request.Slots.Length.ToString(CultureInfo.InvariantCulture) + ":" + Hex(request.Patient) + ":" +
        (request.HoldFor?.Ticks ?? 0).ToString(CultureInfo.InvariantCulture);

    private static string Hex(PatientKey patient) => patient.Value.ToString("x16", CultureInfo.InvariantCulture);
}
