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
    /// one. On a standalone server the claim script then judges the patient's admission rate, bar, cap, quotas and call
    /// limit and takes their entries in the same step as the claim: one round trip, nothing to give back. In a cluster the
    /// patient's keys are on another shard: <c>admit.lua</c> there judges the rate and the bar and takes the cap and quota
    /// entries in one step (the call's limit is a round trip before it), then the claim script on the calendar (which judges
    /// time by Redis's clock and refuses a lease that ran out); the entries are given back when the claim definitely
    /// did not happen. A connection lost or a timeout leaves the outcome unknown: the entries stay (they resolve
    /// against the calendar later), the exception is thrown, and a retry with the same idempotency key is safe.
    /// </remarks>
    public ValueTask<ClaimResult> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // The commonest claim (no idempotency key, one server, nothing to wait for) takes a lean path: same script, same
        // answers, but an async state machine of a fraction of the size (its box is most of a claim's own garbage).
        return request.IdempotencyKey is null && !_keys.Cluster && (request.IsHold || _options.WaitForReplicas == 0)
            ? TryClaimPlainFast(request, cancellationToken) ?? ClaimPlainAsync(request, cancellationToken)
            : ClaimAnyAsync(request, cancellationToken);
    }

    /// <summary>
    /// A claim without an idempotency key on a standalone server that waits for no replica: one script judges the patient's
    /// rules and claims (<see cref="ClaimAnyAsync"/> does the same for these, with more state).
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ClaimResult> ClaimPlainAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        await EnsureLocalAsync(request.Calendar).ConfigureAwait(false);
        var calendar = _readModel.ValidateClaim(request);
        var admission = AdmissionOf(request, calendar, string.Empty, withCall: true);
        ClaimResult? answered;
        RedisReply reply;
        try
        {
            (answered, reply) = await ClaimPlainRoundAsync(request, calendar, admission, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            admission?.Return();
            throw;
        }

        if (answered is { } result)
        {
            admission?.ReturnCompleted(); // its call completed and nothing keeps its names: they are reused
            return result;
        }

        // Full: the next rounds look for dead entries first, and give the admission back.
        return admission is null
            ? ClaimResult.Failed(FullRefusal(reply))
            : await ClaimPlainMoreRoundsAsync(request, calendar, admission, reply, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every claim (see <see cref="ClaimAsync"/>'s remarks); <see cref="ClaimPlainAsync"/> takes the commonest.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ClaimResult> ClaimAnyAsync(ClaimRequest request, CancellationToken cancellationToken)
    {
        await EnsureLocalAsync(request.Calendar).ConfigureAwait(false);
        var calendar = _readModel.ValidateClaim(request);
        var keys = _keys.For(request.Calendar);
        var digest = request.IdempotencyKey is null ? string.Empty : Digest(request); // only keyed requests are compared
        var ownsKey = false;
        if (request.IdempotencyKey is { } idempotencyKey)
        {
            var (earlier, created) = await BeginIdempotentAsync(request, calendar, idempotencyKey, keys, digest, cancellationToken).ConfigureAwait(false);
            if (earlier is { } done)
            {
                if (!done.Succeeded)
                {
                    return done; // refused by the admission rate
                }

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
        Admission? admission = null; // its rented arguments go back when the claim is done
        var namesInUse = false; // a call that sent the patient's names failed (the client may still hold them), or the entries' give-back did
        bool KeepCallPlace()
        {
            callPlace = null; // unknown outcome: the place stays taken (conservative, as quota entries)
            return false;
        }

        bool NamesInUse()
        {
            namesInUse = true;
            return false;
        }

        try
        {
            // The patient's rules (admission rate, bar, cap, quotas): on a standalone server judged and taken inside the
            // claim script (with the call's limit: one round trip for all); in a cluster by admit.lua on the patient's
            // shard first, under a lease the claim script checks (the call's counter is on a third shard: its own round trip).
            var cluster = _keys.Cluster;
            admission = AdmissionOf(request, calendar, digest, withCall: !cluster);
            if (cluster && _readModel.Rules.CountsAgainstCall(request))
            {
                callPlace = await TakeCallPlaceAsync(request.CallId!, cancellationToken).ConfigureAwait(false);
                if (callPlace is null)
                {
                    return ClaimResult.Failed(outcome = ClaimStatus.CallLimitReached);
                }
            }

            // No local pre-check of "in the past" or the booking window: the claim script judges both by Redis
            // TIME, and this node's clock may run ahead (it would refuse what Redis books). Issue 8.4.
            for (var attempt = 0; ; attempt++)
            {
                var lease = QuotaLease.None;
                if (cluster && admission is not null)
                {
                    // AdmitAsync's first round awaited here: one state machine less per claim; a full answer's rounds are rare.
                    admission.SetDead(null);
                    var admitRaw = await AdmitRoundAsync(admission, cancellationToken).ConfigureAwait(false);
                    admission.RateCounted(); // a later round of this claim is not another attempt
                    var (admitted, refusal, full) = AdmitAnswer(admitRaw, admission);
                    if (full is { } fullReply)
                    {
                        (admitted, refusal) = await AdmitMoreRoundsAsync(admission, fullReply, cancellationToken).ConfigureAwait(false);
                    }

                    if (admitted is null)
                    {
                        return ClaimResult.Failed(outcome = refusal);
                    }

                    lease = admitted;
                }

                // An own write (its feed echo waits for the reply), awaited here rather than in OwnWriteAsync: one async layer
                // (and one state machine box) less per claim. A failure ends the write; success ends it below, always.
                var inScript = cluster ? null : admission;
                _feed.BeginOwnWrite(request.Calendar);
                RespResult raw;
                try
                {
                    raw = await RunClaimScriptAsync(link, request, calendar, keys, digest, lease, inScript, cancellationToken, admission?.PatientHex ?? default).ConfigureAwait(false);
                }
                catch
                {
                    _feed.EndOwnWrite(request.Calendar, 0, null);
                    throw;
                }

                inScript?.RateCounted(); // a later round of this claim is not another attempt
                var answer = ClaimScriptReply.ParseAndDispose(raw, out var reply); // the whole reply, read only for the answers that need it (full's entries)

                CountLapsed(answer.Lapsed); // a claim that failed may have released lapsed bookings on the way too
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
                        // Expired holds reclaimed on the way are releases of their own versions in the feed, before the claim's:
                        // the claim is laid in from the reply when their echoes came first, otherwise its echo lays it in after them.
                        // A booking awaiting approval comes back with an expiry (its deadline) and is kept as a hold.
                        EndOwnWrite(request.Calendar, answer.Version, new FeedDelta(FeedOp.Claim, reservation.Seat, request.Slots.First, request.Slots.Length, reservation.Token, request.Patient, answer.HoldExpiryMs, AwaitsApproval: request.HoldFor is null && answer.HoldExpiryMs != 0));
                    }
                    else
                    {
                        EndOwnWrite(request.Calendar, 0, default);
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

                // Every other answer means the claim did not happen: give the entries back (in the claim script, none were taken).
                EndOwnWrite(request.Calendar, 0, default);
                if (!await ReleaseQuotaAsync(lease, request.IdempotencyKey is null ? null : keys).ConfigureAwait(false))
                {
                    namesInUse = true; // the give-back failed: its call may still hold the lease's keys
                }

                switch (answer.Status)
                {
                    case ClaimScriptStatus.Full when inScript is not null && attempt < MaxQuotaRounds - 1:
                        var dead = await FindDeadEntriesAsync(reply, cancellationToken).ConfigureAwait(false);
                        if (dead.Count == 0)
                        {
                            return ClaimResult.Failed(outcome = FullRefusal(reply));
                        }

                        inScript.SetDead(dead);
                        continue;
                    case ClaimScriptStatus.Lease when attempt < MaxLeaseRetries:
                        continue;
                    default:
                        return ClaimResult.Failed(outcome = Refusal(request, answer.Status, reply));
                }
            }
        }
        catch (Exception) when (NamesInUse())
        {
            throw; // never reached: the filter only marks the patient's names as possibly still held by a failed call
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
            if (namesInUse)
            {
                admission?.Return(); // the names are left to the collector
            }
            else
            {
                admission?.ReturnCompleted(); // every call that sent the names completed, and no lease is kept: they are reused
            }

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

    /// <summary>
    /// Why the claim script refused (any answer but a claim, after the retries the caller makes), or throws for the answers
    /// that are errors: one mapping for both claim paths.
    /// </summary>
    private ClaimStatus Refusal(in ClaimRequest request, ClaimScriptStatus status, RedisReply reply)
    {
        switch (status)
        {
            case ClaimScriptStatus.Full:
                return FullRefusal(reply);
            case ClaimScriptStatus.RateLimited:
                return ClaimStatus.RateLimited;
            case ClaimScriptStatus.Barred:
                return ClaimStatus.Barred;
            case ClaimScriptStatus.CallLimit:
                return ClaimStatus.CallLimitReached;
            case ClaimScriptStatus.Lease:
                return ClaimStatus.QuotaExceeded;
            case ClaimScriptStatus.Window:
                return ClaimStatus.OutsideBookingWindow;
            case ClaimScriptStatus.Past:
                return ClaimStatus.InPast;
            case ClaimScriptStatus.Closed:
                return ClaimStatus.Closed;
            case ClaimScriptStatus.Taken:
                return ClaimStatus.Taken;
            case ClaimScriptStatus.NotYetOpen:
                return ClaimStatus.NotYetOpen;
            case ClaimScriptStatus.ReservedForPool:
                return ClaimStatus.ReservedForPool;
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

    /// <inheritdoc />
    public ValueTask<ClaimResult> ConfirmAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        ConfirmOrApproveAsync(reservation, approve: false, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> ReleaseAsync(Reservation reservation, CancellationToken cancellationToken = default) =>
        RemoveAsync(reservation, CancelActor.Administrator, AuditAction.Release, cancellationToken);

    /// <inheritdoc />
    public ValueTask<ClaimResult> CancelAsync(Reservation reservation, CancelActor actor, CancellationToken cancellationToken = default) =>
        RemoveAsync(reservation, actor, AuditAction.Cancel, cancellationToken);

    // holdsOnly: a booking is refused (as too late), so only a hold is released (the waitlist's cancel of an offer).
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ClaimResult> RemoveAsync(Reservation reservation, CancelActor actor, AuditAction action, CancellationToken cancellationToken, bool holdsOnly = false)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var calendar = await ResolveAsync(reservation).ConfigureAwait(false);
        if (calendar is null)
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        RedisArgument cutoff = holdsOnly ? 0 : actor == CancelActor.Administrator
            ? string.Empty
            : UnixMs.FromTicks(_readModel.Rules.CancelDeadlineUtcTicks(calendar.Layout.StartUtcTicks(reservation.Slots.First)));
        var keys = _keys.For(reservation.Calendar);
        var args = FeedArgs(keys, reservation.Seat, reservation.Slots.First, reservation.Token, cutoff, ArgumentBytes.Shared.RentHex(reservation.Patient.Value, out var hex), (int)action, actor == CancelActor.Administrator ? (int)Actor.Administrator : (int)Actor.Patient);

        // An own write awaited here (not through OwnWriteAsync: one async layer less); a failure ends it, success below.
        _feed.BeginOwnWrite(reservation.Calendar);
        RespResult raw;
        try
        {
            raw = await _redis.EvalRawAsync(_redis.Main, StoreScripts.Release, AuditedKeys(keys), args, giveBackKeys: false, cancellationToken, hex).ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(reservation.Calendar, 0, null);
            throw;
        }

        var answer = ChangeScriptReply.ParseAndDispose(raw);

        EndOwnWrite(reservation.Calendar, answer.Version, new FeedDelta(FeedOp.Release, reservation.Seat, reservation.Slots.First, 0, reservation.Token, default, 0));
        switch (answer.Status)
        {
            case ChangeScriptStatus.Ok:
                return await OfferFreedAsync(ClaimResult.Success(reservation)).ConfigureAwait(false);
            case ChangeScriptStatus.Late:
                return ClaimResult.Failed(ClaimStatus.CancelTooLate);
            default:
                return ClaimResult.Failed(ClaimStatus.Stale);
        }
    }

    /// <summary>Validates a reservation as in memory; null when its calendar is not published (then it is stale).</summary>
    private async ValueTask<ReadModelCalendar?> ResolveAsync(Reservation reservation)
    {
        if (!reservation.IsDefault)
        {
            await EnsureLocalAsync(reservation.Calendar).ConfigureAwait(false);
        }

        return _readModel.ValidateReservation(reservation);
    }

    /// <summary>
    /// Runs <c>claim.lua</c>: with <paramref name="lease"/>'s nonce and deadline (a cluster's admission step), or, with
    /// <paramref name="admission"/> (a standalone server), judging and taking the patient's rules in the same script.
    /// <paramref name="patientHex"/>: the patient's hex as the caller has it (an admission's names), else made here.
    /// </summary>
    private ValueTask<RespResult> RunClaimScriptAsync(StoreConnection.Link link, ClaimRequest request, ReadModelCalendar calendar, CalendarKeySet keys, string digest, QuotaLease lease, Admission? admission, CancellationToken cancellationToken, RedisArgument patientHex = default)
    {
        var (openMs, closeMs) = _midnights.BookingWindowOf(_readModel.Rules, calendar.Day);
        var holdMs = request.HoldFor is { } ttl ? Math.Max(1, (long)Math.Ceiling(ttl.TotalMilliseconds)) : 0;
        var (approvalNeededBefore, approvalDeadline) = request.HoldFor is null ? _readModel.Rules.ApprovalOf(calendar.Day) : (0, 0);
        var audit = _readModel.Rules.Audit;
        RedisKey[] scriptKeys;
        var rentedKeys = admission is not null || request.IdempotencyKey is not null;
        var admitAt = 0;
        if (!rentedKeys)
        {
            scriptKeys = AuditedKeys(keys); // the calendar's own KEYS, made once
        }
        else
        {
            // The calendar's keys, the record's key when keyed, the admission's keys, the audit stream last: one rented array.
            var calendarKeys = request.IdempotencyKey is null ? 4 : 5;
            scriptKeys = ScriptArguments.RentKeys(calendarKeys + (admission?.KeyCount ?? 0) + (audit ? 1 : 0));
            scriptKeys[0] = keys.Meta;
            scriptKeys[1] = keys.Free;
            scriptKeys[2] = keys.Claims;
            scriptKeys[3] = keys.Nonces;
            if (request.IdempotencyKey is { } key)
            {
                scriptKeys[4] = keys.IdempotencyPrefix + key;
            }

            if (admission is not null)
            {
                admitAt = calendarKeys + 1; // Lua counts from 1
                admission.CopyKeysTo(scriptKeys.AsSpan(calendarKeys));
            }

            if (audit)
            {
                scriptKeys[^1] = keys.Audit;
            }
        }

        // ARGV: the feed's three, these 15 (ARGV[4] to ARGV[18]), the four rare ones (ARGV[19] to ARGV[22]) only when one of
        // them is not its default (flag 2 in ARGV[16]; most claims send none: each argument costs the server a Lua string),
        // and with an admission the first admission key, then the admission's arguments: one rented array of the exact
        // length, nothing copied after.
        const int Common = 18;
        var rare = approvalNeededBefore != 0 || approvalDeadline != 0 || request.BirthYear is not null || request.Pool is not null;
        var fixedCount = rare ? Common + 4 : Common;
        var args = ScriptArguments.Rent(admission is null ? fixedCount : fixedCount + 1 + admission.ArgCount);
        FeedHead(args, keys);
        ReadOnlySpan<RedisArgument> claimArgs =
        [ // ARGV[4] to ARGV[18]
            request.Slots.First,
            request.Slots.Length,
            admission is not null ? admission.PatientHex : patientHex.IsNull ? (RedisArgument)Hex(request.Patient) : patientHex, // typed: a string ?: would decode the bytes
            holdMs,
            UnixMs.FromTicks(calendar.Layout.StartUtcTicks(request.Slots.First)),
            openMs,
            closeMs,
            admission is null ? lease.NonceValue : admission.TakesEntries ? admission.NonceValue : (RedisArgument)string.Empty,
            lease.DeadlineMs,
            digest,
            _retentionMs,
            Stores.ReadModel.MaxToken,
            (audit ? 1 : 0) + (rare ? 2 : 0),
            (int)request.Actor,
            (int)request.Channel,
        ];
        claimArgs.CopyTo(args.AsSpan(3));
        if (rare)
        {
            var rush = RushClaimArgs(request);
            args[Common] = approvalNeededBefore == 0 ? 0 : UnixMs.FromTicks(approvalNeededBefore);
            args[Common + 1] = approvalDeadline == 0 ? 0 : UnixMs.FromTicks(approvalDeadline);
            args[Common + 2] = rush.BirthYear;
            args[Common + 3] = rush.Pool;
        }

        if (admission is not null)
        {
            args[fixedCount] = admitAt;
            admission.CopyArgsTo(args.AsSpan(fixedCount + 1));
        }

        return _redis.EvalRawAsync(link, StoreScripts.Claim, scriptKeys, args, giveBackKeys: rentedKeys, cancellationToken);
    }

    /// <summary>
    /// Claims the idempotency key's owner record (<c>{i:key}</c>, wherever the calendar lives): refuses the
    /// key when it was used for another request; returns the earlier result when this is a retry of a
    /// claim that happened. Returns null when this call should claim.
    /// </summary>
    private async ValueTask<(ClaimResult? Earlier, bool Created)> BeginIdempotentAsync(ClaimRequest request, ReadModelCalendar calendar, string key, CalendarKeySet keys, string digest, CancellationToken cancellationToken)
    {
        var ownerKey = _keys.IdempotencyOwnerKey(key);
        var owner = await _redis.SetIfAbsentGetAsync(ownerKey, digest, _retentionMs, cancellationToken).ConfigureAwait(false);
        if (owner.IsNull)
        {
            return (null, true);
        }

        if (owner.AsString() != digest)
        {
            // As in memory, the attempt counts against the admission rate before the key is judged.
            if (!await TakeAttemptAsync(request, calendar, digest, cancellationToken).ConfigureAwait(false))
            {
                return (ClaimResult.Failed(ClaimStatus.RateLimited), false);
            }

            throw Reused(request);
        }

        // An earlier attempt failed, or is still running, when there is no record: claim (the script settles a race,
        // and counts the attempt against the admission rate).
        var earlier = await ReadIdempotencyRecordAsync(request, keys, cancellationToken).ConfigureAwait(false);
        if (earlier is not null && !await TakeAttemptAsync(request, calendar, digest, cancellationToken).ConfigureAwait(false))
        {
            return (ClaimResult.Failed(ClaimStatus.RateLimited), false);
        }

        return (earlier, false);
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
