using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>Where a move stands after each of its steps (the test hook, <see cref="RedisSlotEngine.MoveHook"/>).</summary>
internal enum MoveStep
{
    /// <summary>The intent is written on the moved claim's calendar.</summary>
    Begun,

    /// <summary>The patient's entries name the target (or fresh ones were taken for it).</summary>
    EntriesMoved,

    /// <summary>The target is claimed under the move's nonce; the moved claim is still live.</summary>
    TargetClaimed,
}

/// <summary>
/// Atomic reschedule across shards (docs/reschedule.md): an intent on the moved claim's calendar first; the patient's
/// entries follow the appointment; the target is claimed under the move's nonce; the moved claim is released by the
/// script that settles the intent. A move left half-done (the caller stopped, a connection cut) is settled from the
/// stored state alone by <see cref="ResolveMovesAsync"/>, by a retry with the same idempotency key, or by the next move
/// of the same claim once its deadline has passed.
/// </summary>
public sealed partial class RedisSlotEngine
{
    /// <summary>Test hook: runs after each step of a move; throwing or cancelling there stops the caller as a kill would.</summary>
    internal Func<MoveStep, ValueTask>? MoveHook { get; set; }

    /// <inheritdoc />
    public async ValueTask<RescheduleResult> RescheduleAsync(Reservation current, ClaimRequest target, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (current.IsDefault)
        {
            throw new SlotEngineArgumentException(SlotEngineError.MissingReservation, "The reservation is the default value; pass the one a hold or book returned.", nameof(current));
        }

        if (current.Patient != target.Patient)
        {
            throw new SlotEngineArgumentException(SlotEngineError.ReschedulePatientMismatch, "A reschedule moves one patient's appointment: the target must name the reservation's patient.", nameof(target));
        }

        await EnsureLocalAsync(target.Calendar).ConfigureAwait(false);
        var to = _readModel.ValidateClaim(target);
        var from = await ResolveAsync(current).ConfigureAwait(false);
        if (from is null)
        {
            return RescheduleResult.Failed(ClaimStatus.Stale);
        }

        // The bar on the target's branch is judged with the entries the move takes (admit.lua, step 2), as a claim's is.
        var fromKeys = _keys.For(current.Calendar);
        // A keyed move's intent is named by its key and request, so a retry finds it; an unkeyed one's is new each time.
        var id = target.IdempotencyKey is { } key
            ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key + "\n" + MoveDigest(current, target))))[..32]
            : Guid.NewGuid().ToString("N");
        var intentKey = TagOf(fromKeys) + ":v:" + id;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await MoveOnceAsync(current, target, from, to, fromKeys, intentKey, cancellationToken).ConfigureAwait(false) is { } result)
            {
                return result;
            }
        }

        return RescheduleResult.Failed(ClaimStatus.MoveInProgress);
    }

    /// <summary>
    /// Settles the moves of a calendar's claims whose intents are still open past their deadline (plus the clock-skew
    /// allowance): each completes when its target was claimed, or is rolled back (the target's nonce burned, the
    /// patient's entries restored). For a sweeper; a retry with the same idempotency key and the next move of the same
    /// claim do it too.
    /// </summary>
    /// <param name="calendar">A calendar whose claims may be moving.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>How many intents were settled.</returns>
    public async ValueTask<int> ResolveMovesAsync(CalendarKey calendar, CancellationToken cancellationToken = default)
    {
        var keys = _keys.For(calendar);
        var list = await EvalAsync(StoreScripts.MoveSettle, SettleKeys(keys, TagOf(keys) + ":v:-"), FeedArgs(keys, "list"), cancellationToken).ConfigureAwait(false);
        var settled = 0;
        for (var i = 1; i + 1 < list.Count; i += 2)
        {
            if (await ResolveIntentAsync(keys, list[i + 1].AsString()!, force: false, cancellationToken).ConfigureAwait(false))
            {
                settled++;
            }
        }

        return settled;
    }

    /// <summary>One attempt: a result, or null when an earlier attempt's intent with this key was settled and this one should run again.</summary>
    /// <remarks>
    /// A move suspends at each of its script calls; its steps' state machines (this one carries the whole move's locals) are
    /// pooled boxes, not one allocated per move and step (about 110 B per booking at the load's 5 % of bookings moved).
    /// Every caller awaits each call once, at once, as a pooled box requires.
    /// </remarks>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RescheduleResult?> MoveOnceAsync(Reservation current, ClaimRequest target, ReadModelCalendar from, ReadModelCalendar to, CalendarKeySet fromKeys, string intentKey, CancellationToken cancellationToken)
    {
        var rules = Options.Quotas.Rules;
        var cap = _readModel.Rules.MaxActiveAppointments;
        var toKeys = _keys.For(target.Calendar);
        var qKey = rules.Count > 0 ? _keys.QuotaKey(current.Patient, from.Day) : string.Empty;
        var aKey = cap > 0 ? _keys.ActiveKey(current.Patient) : string.Empty;
        var records = _keys.ActiveKey(current.Patient); // move_entries.lua's last key: the records key, declared
        var m = Guid.NewGuid().ToString("N");
        var leaseMs = (long)Math.Ceiling(_options.QuotaLease.TotalMilliseconds);
        var skewMs = (long)Math.Ceiling(_options.ClockSkewAllowance.TotalMilliseconds);
        var farMs = UnixMs.FromTicks(DayLayout.LocalMidnightUtcTicks(Today.AddDays(_readModel.Rules.BookingHorizonDays + 2), Options.TimeZone));
        var newValue = toKeys.Reference + "|" + m + "|" + farMs.ToString(CultureInfo.InvariantCulture);

        // The moved claim's entries: those naming its calendar; the calendar tells which nonce is the claim's. The day's
        // quota hash and the active hash share the patient's tag: one script reads both (triples: 1 quota or 2 active,
        // field, value).
        var candidates = new Dictionary<string, (string Q, string A)>(StringComparer.Ordinal);
        RedisKey[] entryKeys = (qKey.Length, aKey.Length) switch
        {
            ( > 0, > 0) => [qKey, aKey, records],
            ( > 0, _) => [qKey, records],
            (_, > 0) => [aKey, records],
            _ => [],
        };
        if (entryKeys.Length > 0)
        {
            var findArgs = ScriptArguments.Rent(2);
            findArgs[0] = "find";
            findArgs[1] = fromKeys.Reference;
            var found = await EvalTreeAsync(StoreScripts.MoveEntries, entryKeys, findArgs, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i + 2 < found.Count; i += 3)
            {
                var isQuota = entryKeys[(int)found[i].AsInt64() - 1] == (RedisKey)qKey;
                var value = found[i + 2].AsString()!;
                var nonce = NonceOf(value);
                candidates.TryGetValue(nonce, out var pair);
                candidates[nonce] = isQuota ? pair with { Q = value } : pair with { A = value };
            }
        }

        // Sized once (no growth arrays) and handed to FeedArgs as a span (no copy of its own): a move's largest arguments.
        var args = new List<RedisArgument>(11 + (3 * candidates.Count))
        {
            current.Seat, current.Slots.First, current.Token, Hex(current.Patient), m, leaseMs, Math.Max(_retentionMs, 60_000),
            toKeys.Reference, qKey, aKey, newValue,
        };
        foreach (var (nonce, (q, a)) in candidates)
        {
            args.Add(nonce);
            args.Add(q ?? string.Empty);
            args.Add(a ?? string.Empty);
        }

        // The raw call (the rented ARGV given back once completed); the common answer ('ok') is read in place, the rest as a tree.
        var beginArgs = FeedArgs(fromKeys, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(args));
        var beginRaw = await _redis.EvalRawAsync(_redis.Main, StoreScripts.MoveBegin, SettleKeys(fromKeys, intentKey), beginArgs, giveBackKeys: false, cancellationToken).ConfigureAwait(false);
        long deadline, expiryMs;
        string oldNonce;
        string? kind;
        RedisReply begun = default;
        bool inPlace;
        using (beginRaw)
        {
            inPlace = TryReadBegun(beginRaw, candidates, out deadline, out oldNonce, out kind, out expiryMs);
            if (!inPlace)
            {
                begun = RawReply.ToReply(beginRaw);
            }
        }

        if (!inPlace)
        {
            switch (begun[0].AsString())
            {
                case "exists":
                    switch (begun[1].AsString())
                    {
                        case "done":
                            return RescheduleResult.Success(ResultReservation(target, begun[2].AsString()!), current);
                        case "open":
                            await ResolveIntentAsync(fromKeys, intentKey, force: true, cancellationToken).ConfigureAwait(false);
                            return null;
                        default:
                            await _redis.DeleteAsync(intentKey, cancellationToken).ConfigureAwait(false); // aborted: this key may try again
                            return null;
                    }

                case "stale":
                    return RescheduleResult.Failed(ClaimStatus.Stale);
                case "busy":
                    await ResolveIntentAsync(fromKeys, begun[1].AsString()!, force: false, cancellationToken).ConfigureAwait(false);
                    return RescheduleResult.Failed(ClaimStatus.MoveInProgress);
                case "ok":
                    break;
                default:
                    throw new SlotEngineRedisException($"The move script answered '{begun}'.");
            }

            deadline = begun[1].AsInt64();
            oldNonce = begun[2].AsString()!;
            kind = begun[3].AsString();
            expiryMs = begun[4].AsInt64();
        }

        var qOld = oldNonce.Length == 0 ? string.Empty : candidates[oldNonce].Q ?? string.Empty;
        var aOld = oldNonce.Length == 0 ? string.Empty : candidates[oldNonce].A ?? string.Empty;
        await StepAsync(MoveStep.Begun).ConfigureAwait(false);

        // Step 1: the appointment's entries follow it. Same scope and day: the moved claim's entry is re-pointed (one
        // place, so a patient at a limit can move); otherwise a fresh entry is taken as for a claim.
        var repointed = new List<(string Key, string Old)>();
        var fresh = new List<QuotaLease>();
        var claimDeadline = deadline;
        ClaimStatus? refused = null;
        try
        {
            var prefixes = new List<RedisArgument>();
            var freshRules = new List<QuotaRule>();
            foreach (var rule in rules)
            {
                var scopeTo = ScopeText(rule.Scope, to);
                if (from.Day == to.Day && qOld.Length > 0 && ScopeText(rule.Scope, from) == scopeTo)
                {
                    prefixes.Add(scopeTo + ":");
                }
                else
                {
                    freshRules.Add(rule);
                }
            }

            // One script re-points the moved claim's entries in both of the patient's hashes (one tag): the quota
            // rules of the same scope and day, and the cap's.
            var repointQuota = prefixes.Count > 0;
            var repointActive = cap > 0 && aOld.Length > 0;
            var freshCap = cap > 0 && !repointActive ? cap : 0;
            if (repointQuota || repointActive)
            {
                if (repointActive)
                {
                    prefixes.Add("a:");
                }

                RedisKey[] hashes = (repointQuota, repointActive) switch
                {
                    (true, true) => [qKey, aKey, records],
                    (true, false) => [qKey, records],
                    _ => [aKey, records],
                };
                var counts = await RepointAsync(hashes, fromKeys.Reference + "|" + oldNonce + "|", newValue, deadline, skewMs, prefixes, cancellationToken).ConfigureAwait(false);
                var quotaCount = repointQuota && counts is not null ? counts[0] : 0;
                var activeCount = repointActive && counts is not null ? counts[^1] : 0;
                if (quotaCount > 0)
                {
                    repointed.Add((qKey, qOld));
                }

                if (activeCount > 0)
                {
                    repointed.Add((aKey, aOld));
                }

                if (counts is null || (repointQuota && quotaCount == 0))
                {
                    // The deadline (less the skew allowance) has passed, or the entries no longer name the moved claim:
                    // a resolver may be settling this move.
                    refused = ClaimStatus.MoveInProgress;
                }
                else if (repointActive && activeCount == 0)
                {
                    freshCap = cap; // the cap's entry did not name the moved claim: the target takes its own
                }
            }

            // The rest of the patient's rules in one admission on the patient's tag (admit.lua, as a claim's): the bar on
            // the target's branch, the cap when its entry was not re-pointed, the quota rules of another scope or day.
            if (refused is null && MoveAdmissionOf(target, to, m, freshCap, freshRules) is { } admission)
            {
                var (lease, refusal) = await AdmitAsync(admission, cancellationToken).ConfigureAwait(false);
                if (lease is null)
                {
                    refused = refusal;
                }
                else if (!lease.IsEmpty)
                {
                    fresh.Add(lease);
                }
            }

            foreach (var lease in fresh)
            {
                claimDeadline = Math.Min(claimDeadline, lease.DeadlineMs);
            }

            if (refused is not null)
            {
                await UndoAsync(fromKeys, intentKey, newValue, repointed, fresh, cancellationToken).ConfigureAwait(false);
                return RescheduleResult.Failed(refused.Value);
            }

            await StepAsync(MoveStep.EntriesMoved).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (RedisException or TimeoutException or OperationCanceledException or MoveHookException))
        {
            await UndoAsync(fromKeys, intentKey, newValue, repointed, fresh, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        // Step 2: the target, claimed as the moved claim was, under the move's nonce (so the resolver can ask whether it was).
        var approvalDeadline = _readModel.Rules.ApprovalOf(from.Day).DeadlineUtcTicks;
        var unapproved = kind == "h" && approvalDeadline != 0 && UnixMs.FromTicks(approvalDeadline) == expiryMs;
        var nowMs = deadline - leaseMs;
        var claim = target with
        {
            IdempotencyKey = null,
            HoldFor = kind == "b" || unapproved ? null : target.HoldFor ?? TimeSpan.FromMilliseconds(Math.Max(1, expiryMs - nowMs)),
        };
        // The claim script's lease path (no admission in it): it records nonces[M], and refuses once M is burned or its deadline passed.
        var moveLease = new QuotaLease(default, default, null, [], string.Empty, m, claimDeadline);
        // An own write, as a claim's (ClaimAsync): a failure ends it here, success below. The reply is read in place
        // (ClaimScriptReply.ParseAndDispose): no tree for the answers a move gets.
        _feed.BeginOwnWrite(target.Calendar);
        StackExchange.Redis.RespResult raw;
        try
        {
            raw = await RunClaimScriptAsync(_redis.Main, claim, to, toKeys, string.Empty, moveLease, null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(target.Calendar, 0, null);
            throw;
        }

        var answer = ClaimScriptReply.ParseAndDispose(raw, out var reply);
        CountLapsed(answer.Lapsed);
        if (answer.Status == ClaimScriptStatus.Ok)
        {
            // Laid into the read model as ClaimAsync does (a reload only when expired holds were reclaimed on the way).
            EndOwnWrite(target.Calendar, answer.Version, new FeedDelta(FeedOp.Claim, answer.Seat, target.Slots.First, target.Slots.Length, answer.Token, target.Patient, answer.HoldExpiryMs, AwaitsApproval: claim.HoldFor is null && answer.HoldExpiryMs != 0));
        }
        else
        {
            EndOwnWrite(target.Calendar, 0, default);
        }
        if (!answer.Claimed)
        {
            await UndoAsync(fromKeys, intentKey, newValue, repointed, fresh, CancellationToken.None).ConfigureAwait(false);
            return RescheduleResult.Failed(answer.Status switch
            {
                ClaimScriptStatus.Window => ClaimStatus.OutsideBookingWindow,
                ClaimScriptStatus.Past => ClaimStatus.InPast,
                ClaimScriptStatus.Closed => ClaimStatus.Closed,
                ClaimScriptStatus.Taken => ClaimStatus.Taken,
                ClaimScriptStatus.Lease => ClaimStatus.MoveInProgress, // the deadline passed (a paused caller): a resolver may have settled it
                _ => throw new SlotEngineRedisException($"The claim script answered '{(reply.IsNull ? answer.Status.ToString() : reply.ToString())}' to a move."),
            });
        }

        var moved = new Reservation(target.Calendar, target.Slots, answer.Seat, answer.Token, target.Patient, answer.HoldExpiryMs == 0 ? null : UnixMs.ToDateTimeOffset(answer.HoldExpiryMs));
        await StepAsync(MoveStep.TargetClaimed).ConfigureAwait(false);

        // Step 3: release the moved claim and settle the intent, in one script on the moved claim's calendar.
        var result = answer.Seat.ToString(CultureInfo.InvariantCulture) + "|" + answer.Token.ToString(CultureInfo.InvariantCulture) + "|" + answer.HoldExpiryMs.ToString(CultureInfo.InvariantCulture);
        var settled = await SettleAsync(fromKeys, intentKey, current.Calendar, "commit", result, (int)target.Actor, cancellationToken, current).ConfigureAwait(false);
        if (settled == "done")
        {
            await OfferFreedAsync(current.Calendar, Options.TimeProvider.GetTimestamp()).ConfigureAwait(false); // the old slots go to the waitlist, as any release
            return RescheduleResult.Success(moved, current);
        }

        // The moved claim was gone (cancelled, expired, displaced): undo the target; the patient asked for none.
        await RemoveAsync(moved, CancelActor.Administrator, AuditAction.Release, CancellationToken.None).ConfigureAwait(false);
        return RescheduleResult.Failed(settled == "stale" ? ClaimStatus.Stale : ClaimStatus.MoveInProgress);
    }

    /// <summary>
    /// Settles one intent from its stored state: the target's nonce is burned unless a claim was made under it (move_target.lua);
    /// a live target completes the move (the moved claim released), anything else rolls it back (the patient's entries
    /// restored). Not forced: only once the intent's deadline plus the skew allowance has passed. True when settled now.
    /// </summary>
    private async ValueTask<bool> ResolveIntentAsync(CalendarKeySet fromKeys, string intentKey, bool force, CancellationToken cancellationToken)
    {
        var read = await EvalAsync(StoreScripts.MoveSettle, SettleKeys(fromKeys, intentKey), FeedArgs(fromKeys, "read"), cancellationToken).ConfigureAwait(false);
        if (read[0].AsString() != "open")
        {
            return false;
        }

        var now = read[1].AsInt64();
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 2; i + 1 < read.Count; i += 2)
        {
            fields[read[i].AsString()!] = read[i + 1].AsString() ?? string.Empty;
        }

        var deadline = long.Parse(fields["deadline"], CultureInfo.InvariantCulture);
        if (!force && now < deadline + (long)Math.Ceiling(_options.ClockSkewAllowance.TotalMilliseconds))
        {
            return false;
        }

        if (!StoreKeys.TryParseCalendarRef(fields["to"], out var toCalendar) || !StoreKeys.TryParseCalendarRef(fields["ref"], out var fromCalendar))
        {
            throw new SlotEngineRedisException($"The move intent {intentKey} names no calendar.");
        }

        var toKeys = _keys.For(toCalendar);
        var target = await OwnWriteAsync(toCalendar, _redis.Main, StoreScripts.MoveTarget, CalendarKeys(toKeys), FeedArgs(toKeys, fields["m"], deadline), cancellationToken).ConfigureAwait(false);
        EndOwnWrite(toCalendar, 0, default);
        var repointed = new List<(string Key, string Old)>();
        if (fields["qold"].Length > 0)
        {
            repointed.Add((fields["qkey"], fields["qold"]));
        }

        if (fields["aold"].Length > 0)
        {
            repointed.Add((fields["akey"], fields["aold"]));
        }

        if (target[0].AsString() != "live")
        {
            await UndoAsync(fromKeys, intentKey, fields["nv"], repointed, [], cancellationToken).ConfigureAwait(false);
            return true;
        }

        var seat = (int)target[1].AsInt64();
        var first = (int)target[2].AsInt64();
        var token = target[3].AsInt64();
        var expiry = target[4].AsInt64();
        var result = seat.ToString(CultureInfo.InvariantCulture) + "|" + token.ToString(CultureInfo.InvariantCulture) + "|" + expiry.ToString(CultureInfo.InvariantCulture);
        var settled = await SettleAsync(fromKeys, intentKey, fromCalendar, "commit", result, (int)Actor.Administrator, cancellationToken).ConfigureAwait(false);
        if (settled == "stale")
        {
            // The moved claim is gone (cancelled meanwhile): the target must not outlive it.
            var patient = new PatientKey(ulong.Parse(fields["patient"], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            // release.lua checks seat, first slot, token and patient, not the length: a single slot names the claim.
            await RemoveAsync(new Reservation(toCalendar, SlotRange.Single(first), seat, token, patient, null), CancelActor.Administrator, AuditAction.Release, CancellationToken.None).ConfigureAwait(false);
        }

        return true;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<string> SettleAsync(CalendarKeySet keys, string intentKey, CalendarKey calendar, string mode, string result, int actor, CancellationToken cancellationToken, Reservation moved = default)
    {
        var audited = _readModel.Rules.Audit;
        RedisKey[] scriptKeys = audited ? [.. SettleKeys(keys, intentKey), keys.Audit] : SettleKeys(keys, intentKey);
        var args = FeedArgs(keys, mode, result, actor, audited ? "1" : "0"); // built before the write begins: nothing throws in between

        // An own write (OwnWriteAsync's, with the raw call): a failure ends it here; the reply is read in place.
        _feed.BeginOwnWrite(calendar);
        StackExchange.Redis.RespResult raw;
        try
        {
            raw = await _redis.EvalRawAsync(_redis.Main, StoreScripts.MoveSettle, scriptKeys, args, giveBackKeys: false, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _feed.EndOwnWrite(calendar, 0, null);
            throw;
        }

        var state = MoveSettleScriptReply.ParseAndDispose(raw, out var version);
        // The caller knows the moved claim: the release is laid into the read model; the resolver's reloads the calendar.
        EndOwnWrite(
            calendar,
            version,
            moved.IsDefault ? default : new FeedDelta(FeedOp.Release, moved.Seat, moved.Slots.First, 0, moved.Token, default, 0));
        return state;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask UndoAsync(CalendarKeySet fromKeys, string intentKey, string newValue, List<(string Key, string Old)> repointed, List<QuotaLease> fresh, CancellationToken cancellationToken)
    {
        foreach (var (key, old) in repointed)
        {
            // The view's records key (the key up to its tag's '}': a day's view adds ":q:<yyyymmdd>"), declared last.
            await EvalAsync(StoreScripts.MoveEntries, [key, key[..(key.LastIndexOf('}') + 1)]], ["restore", newValue, old], cancellationToken).ConfigureAwait(false);
        }

        foreach (var lease in fresh)
        {
            await ReleaseQuotaAsync(lease, null).ConfigureAwait(false);
        }

        await EvalAsync(StoreScripts.MoveSettle, SettleKeys(fromKeys, intentKey), FeedArgs(fromKeys, "abort"), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Re-points the moved claim's entries in <paramref name="hashes"/>: how many per hash, or null when refused (the deadline passed).</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long[]?> RepointAsync(RedisKey[] hashes, string oldPrefix, string newValue, long deadline, long skewMs, List<RedisArgument> prefixes, CancellationToken cancellationToken)
    {
        var args = ScriptArguments.Rent(5 + prefixes.Count);
        args[0] = "repoint";
        args[1] = oldPrefix;
        args[2] = newValue;
        args[3] = deadline;
        args[4] = skewMs;
        for (var i = 0; i < prefixes.Count; i++)
        {
            args[5 + i] = prefixes[i];
        }

        var reply = await EvalTreeAsync(StoreScripts.MoveEntries, hashes, args, cancellationToken).ConfigureAwait(false);
        if (reply.Count == 0 && reply.AsInt64() < 0)
        {
            return null;
        }

        var counts = new long[reply.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = reply[i].AsInt64();
        }

        return counts;
    }

    /// <summary>
    /// The admission a move's target needs beyond its re-pointed entries (<c>admission_check</c> in <c>lib.lua</c>, run by
    /// <c>admit.lua</c> on the patient's tag): the bar on the target's branch, the cap (<paramref name="cap"/>, 0 when
    /// the moved claim's entry was re-pointed) and the quota rules of another scope or day, under the move's nonce on the
    /// target day's entries. No call limit and no admission rate: a move is not a new claim. Null when nothing applies.
    /// </summary>
    private Admission? MoveAdmissionOf(in ClaimRequest target, ReadModelCalendar to, string nonce, int cap, List<QuotaRule> rules)
    {
        var bars = _readModel.Rules.ChecksBars(target);
        if (!bars && cap == 0 && rules.Count == 0)
        {
            return null;
        }

        return AdmissionFor(target, to, nonce, bars, cap, call: false, AdmissionRate.None, rules);
    }

    /// <summary>
    /// Reads <c>move_begin.lua</c>'s <c>{'ok', deadline ms, old nonce or '', kind, expiry ms}</c> in place: the old nonce as the
    /// candidate's own string (it was sent from <paramref name="candidates"/>), the kind as a literal. False for any other answer
    /// or shape (read as a tree then).
    /// </summary>
    private static bool TryReadBegun(StackExchange.Redis.RespResult raw, Dictionary<string, (string Q, string A)> candidates, out long deadline, out string oldNonce, out string? kind, out long expiryMs)
    {
        deadline = expiryMs = 0;
        oldNonce = string.Empty;
        kind = null;
        var reader = raw.Read();
        if (!reader.IsAggregate || reader.IsNull || reader.AggregateLength() != 5)
        {
            return false;
        }

        reader.MoveNext();
        if (reader.IsAggregate || reader.IsNull || !reader.Is("ok"u8))
        {
            return false;
        }

        reader.MoveNext();
        if (reader.Prefix != RESPite.Messages.RespPrefix.Integer || !reader.TryReadInt64(out deadline))
        {
            return false;
        }

        reader.MoveNext();
        if (reader.IsAggregate || reader.IsNull)
        {
            return false;
        }

        if (!reader.Is(""u8))
        {
            string? found = null;
            Span<byte> bytes = stackalloc byte[64];
            foreach (var nonce in candidates.Keys)
            {
                // The nonces are 32 hex digits (the claim's, as the entries name them): ASCII.
                if (nonce.Length <= bytes.Length && System.Text.Ascii.IsValid(nonce))
                {
                    var written = System.Text.Encoding.ASCII.GetBytes(nonce, bytes);
                    if (reader.Is(bytes[..written]))
                    {
                        found = nonce;
                        break;
                    }
                }
            }

            if (found is null)
            {
                return false;
            }

            oldNonce = found;
        }

        reader.MoveNext();
        if (reader.IsAggregate || reader.IsNull)
        {
            return false;
        }

        kind = reader.Is("h"u8) ? "h" : reader.Is("b"u8) ? "b" : null;
        if (kind is null)
        {
            return false;
        }

        reader.MoveNext();
        return reader.Prefix == RESPite.Messages.RespPrefix.Integer && reader.TryReadInt64(out expiryMs);
    }

    /// <summary>
    /// As <see cref="EvalAsync"/>, through the raw call (the client's lighter path, <see cref="StoreConnection.EvalRawAsync"/>), the
    /// reply read as the same tree. <paramref name="rentedArgs"/> come from <see cref="ScriptArguments"/>: given back once the
    /// call has completed (never after a failure).
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<RedisReply> EvalTreeAsync(RedisScript script, RedisKey[] keys, RedisArgument[] rentedArgs, CancellationToken cancellationToken)
    {
        using var raw = await _redis.EvalRawAsync(_redis.Main, script, keys, rentedArgs, giveBackKeys: false, cancellationToken).ConfigureAwait(false);
        return RawReply.ToReply(raw);
    }

    private async ValueTask StepAsync(MoveStep step)
    {
        if (MoveHook is { } hook)
        {
            try
            {
                await hook(step).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not MoveHookException)
            {
                throw new MoveHookException(step, e);
            }
        }
    }

    private static RedisKey[] SettleKeys(CalendarKeySet keys, string intentKey) =>
        [keys.Meta, keys.Free, keys.Claims, keys.Nonces, intentKey, TagOf(keys) + ":v"];

    private static string TagOf(CalendarKeySet keys) => keys.Tag; // "<prefix>{p:<ref>}"

    /// <summary>A quota rule's scope as the entries name it (<c>p:</c>, <c>c:</c> or <c>f:</c> and the id), made once per scope.</summary>
    private static string ScopeText(QuotaScope scope, ReadModelCalendar calendar) => ScopeTexts.GetOrAdd(
        ScopeOf(scope, calendar),
        static key => key.Kind + ":" + key.Id.ToString(CultureInfo.InvariantCulture));

    /// <summary>The kind letter and the id that name a calendar's quota scope.</summary>
    private static (char Kind, int Id) ScopeOf(QuotaScope scope, ReadModelCalendar calendar) => scope switch
    {
        QuotaScope.Provider => ('p', calendar.Key.Provider.Value),
        QuotaScope.Clinic => ('c', calendar.Clinic.Value),
        _ => ('f', calendar.Facility.Value),
    };

    /// <summary>The scope texts made so far: bounded by the directory (providers, clinics, facilities).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(char Kind, int Id), string> ScopeTexts = new();

    /// <summary>
    /// <see cref="ScopeText"/> as a script argument: its UTF-8 bytes (<see cref="ScopeBytes"/>), no string for the client to
    /// transcode on each call.
    /// </summary>
    private static RedisArgument ScopeValue(QuotaScope scope, ReadModelCalendar calendar) => ScopeBytes(ScopeOf(scope, calendar));

    /// <summary>
    /// A scope's text (<see cref="ScopeText"/>) in UTF-8, made once per scope and kept by one <see cref="long"/> (the kind in
    /// the high half, the id in the low), so a claim neither hashes a tuple nor has the client transcode a string per call.
    /// The same array each time: callers must not write to it.
    /// </summary>
    internal static byte[] ScopeBytes((char Kind, int Id) scope)
    {
        var key = ((long)scope.Kind << 32) | unchecked((uint)scope.Id);
        return ScopeBytesMade.GetOrAdd(key, static k => System.Text.Encoding.UTF8.GetBytes((char)(k >> 32) + ":" + unchecked((int)k).ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>The scope texts' bytes made so far (<see cref="ScopeBytes"/>): bounded as <see cref="ScopeTexts"/>.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte[]> ScopeBytesMade = new();

    /// <summary>
    /// An entry value's nonce, its second <c>|</c>-separated part (<c>ref|nonce|…</c>), as <c>value.Split('|')[1]</c> gives it,
    /// without the array and the other parts.
    /// </summary>
    private static string NonceOf(string value)
    {
        var start = value.IndexOf('|');
        if (start < 0)
        {
            return value.Split('|')[1]; // no nonce: fails as before
        }

        var end = value.IndexOf('|', start + 1);
        return end < 0 ? value[(start + 1)..] : value[(start + 1)..end];
    }

    private static Reservation ResultReservation(ClaimRequest target, string result)
    {
        var parts = result.Split('|');
        var expiry = long.Parse(parts[2], CultureInfo.InvariantCulture);
        return new Reservation(target.Calendar, target.Slots, int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), target.Patient, expiry == 0 ? null : UnixMs.ToDateTimeOffset(expiry));
    }

    private static string MoveDigest(Reservation current, ClaimRequest target) =>
        StoreKeys.CalendarRef(current.Calendar) + ":" + current.Seat.ToString(CultureInfo.InvariantCulture) + ":" + current.Slots.First.ToString(CultureInfo.InvariantCulture) + ":" +
        current.Token.ToString(CultureInfo.InvariantCulture) + ">" + Digest(target);
}

/// <summary>What the test hook (<see cref="RedisSlotEngine.MoveHook"/>) threw, wrapped: the caller stops there as if killed.</summary>
internal sealed class MoveHookException(MoveStep step, Exception inner) : Exception("The move was stopped after step " + step + ".", inner)
{
    public MoveStep Step { get; } = step;
}
