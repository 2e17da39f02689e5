using System.Globalization;
using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// The waitlist on Redis (docs/waitlist.md). A scope's wishes live under one hash tag, <c>{w:c:&lt;clinic&gt;}</c> or
/// <c>{w:b:&lt;city&gt;:&lt;branch&gt;}</c>: a sorted set of waiting ids by (group, id), the records, their states, a
/// lease set. A calendar's slots live under the calendar's tag, on another shard in a cluster, so an offer is two
/// steps: the node that freed the slot <em>leases</em> the next matching wish atomically in the wish shard
/// (<c>wait_lease.lua</c>: the wish leaves the queue for a lease with a deadline), <em>claims</em> the slot as a hold
/// for the wish's patient in the calendar shard (the ordinary claim: atomic, with quotas, cap and bars), then
/// <em>settles</em> the lease (<c>wait_settle.lua</c>): offered, or back in its place (with the refusal when the
/// patient was refused). Two nodes never offer one seat twice because the claim is the authority; a wish is never
/// leased twice at once; a node that dies holding a lease loses nothing: the lease ends and the wish goes back to
/// its place at the next lease in that scope.
/// </summary>
public sealed partial class RedisSlotEngine
{
    private const int WaitLeaseMs = 5_000;
    private const int WaitScan = 256;
    private const int WaitTriesPerPass = 16;
    private const int WaitLockMs = 10_000;

    /// <inheritdoc />
    public async ValueTask<WishTicket> RegisterWishAsync(WishRequest request, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _readModel.ValidateWish(request);
        var keys = WaitKeys(request.Scope);
        var id = (await EvalAsync(StoreScripts.WaitRegister, [keys.Queue, keys.Records, keys.States, keys.Last], [WishRecord(request), request.Group], cancellationToken).ConfigureAwait(false)).AsInt64();
        var ticket = new WishTicket(request.Scope, id);
        await _redis.Main.Database.SetAddAsync(PatientWishesKey(request.Patient), TicketText(ticket)).ConfigureAwait(false);

        // A slot freed between the citizen's search and this call was offered to nobody: offer it now (by this node's read model).
        var query = request.Scope.Clinic is { } clinic
            ? EarliestQuery.ForClinic(clinic, request.From, request.To, request.Length)
            : EarliestQuery.ForCityBranch(request.Scope.City, request.Scope.Branch, request.From, request.To, request.Length);
        if (_localEngine.FindEarliest(query) is [var free, ..])
        {
            await OfferFreedAsync(free.Calendar, Options.TimeProvider.GetTimestamp()).ConfigureAwait(false);
        }

        return ticket;
    }

    /// <inheritdoc />
    public async ValueTask<bool> CancelWishAsync(WishTicket ticket, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var keys = WaitKeys(ticket.Scope);
        var reply = await EvalAsync(StoreScripts.WaitCancel, [keys.Queue, keys.States, keys.Leases, keys.Finished], [ticket.Id], cancellationToken).ConfigureAwait(false);
        switch (reply[0].AsInt64())
        {
            case 1:
                return true;
            case 2:
                // Only a hold is released (a booking is refused as too late): an offer confirmed meanwhile stays booked.
                if (!(await RemoveAsync(ParseOffer(reply[1].AsString()!), CancelActor.Patient, AuditAction.Release, cancellationToken, holdsOnly: true).ConfigureAwait(false)).Succeeded)
                {
                    return false;
                }

                await _redis.Main.Database.HashSetAsync(keys.States, ticket.Id, "x").ConfigureAwait(false);
                await _redis.Main.Database.HashSetAsync(keys.Finished, ticket.Id, Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds()).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    /// <inheritdoc />
    public async ValueTask<WishView?> GetWishAsync(WishTicket ticket, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var keys = WaitKeys(ticket.Scope);
        var reply = await EvalAsync(StoreScripts.WaitView, [keys.Queue, keys.Records, keys.States, keys.Refusals], [ticket.Id], cancellationToken).ConfigureAwait(false);
        if (reply.IsNull)
        {
            return null;
        }

        var request = ParseWishRecord(ticket.Scope, reply[0].AsString()!);
        var state = reply[1].AsString()!;
        var refusal = reply[2].AsString() is { Length: > 0 } r ? (ClaimStatus?)int.Parse(r, CultureInfo.InvariantCulture) : null;
        var rank = (int)reply[3].AsInt64();
        switch (state[0])
        {
            case 'w':
            case 'l':
                return new WishView(ticket, request, WishState.Waiting, Math.Max(rank, 0), null, refusal);
            case 'o':
                var offer = ParseOffer(state[1..]);
                return new WishView(ticket, request, await OfferStateAsync(offer).ConfigureAwait(false), 0, offer, refusal);
            default:
                return new WishView(ticket, request, WishState.Cancelled, 0, null, refusal);
        }
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<WishView>> GetWishesAsync(PatientKey patient, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var members = await _redis.Main.Database.SetMembersAsync(PatientWishesKey(patient)).ConfigureAwait(false);
        var views = new List<WishView>(members.Length);
        foreach (var member in members)
        {
            if (TryParseTicket(member.ToString(), out var ticket) && await GetWishAsync(ticket, cancellationToken).ConfigureAwait(false) is { } view)
            {
                views.Add(view);
            }
            else
            {
                // Purged (PurgeWishesAsync removes the ticket too; this catches a purge whose second step did not run).
                await _redis.Main.Database.SetRemoveAsync(PatientWishesKey(patient), member).ConfigureAwait(false);
            }
        }

        views.Sort(static (a, b) => a.Ticket.Id.CompareTo(b.Ticket.Id));
        return views;
    }

    /// <summary>After a release or cancel that succeeded: offers the freed slot (errors are logged, never thrown: the release stands).</summary>
    private async ValueTask<ClaimResult> OfferFreedAsync(ClaimResult result)
    {
        if (result.Succeeded && Options.Waitlist.IsEnabled)
        {
            await OfferFreedAsync(result.Reservation.Calendar, Options.TimeProvider.GetTimestamp()).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>After a sweep: offers the calendars whose holds it reclaimed.</summary>
    private async ValueTask<IReadOnlyList<Reservation>> OfferFreedAsync(IReadOnlyList<Reservation> reclaimed)
    {
        if (reclaimed.Count > 0 && Options.Waitlist.IsEnabled)
        {
            var freedAt = Options.TimeProvider.GetTimestamp();
            foreach (var calendar in reclaimed.Select(static r => r.Calendar).Distinct())
            {
                await OfferFreedAsync(calendar, freedAt).ConfigureAwait(false);
            }
        }

        return reclaimed;
    }

    /// <summary>Offers a calendar's free slots to the waiting wishes of its clinic, then of its city and branch.</summary>
    /// <param name="calendar">The calendar where seats became free.</param>
    /// <param name="freedAt">When (a <see cref="TimeProvider.GetTimestamp"/> value).</param>
    internal async ValueTask OfferFreedAsync(CalendarKey calendar, long freedAt)
    {
        if (!Options.Waitlist.IsEnabled || _readModel.Find(calendar) is not { } local)
        {
            return;
        }

        try
        {
            var city = Directory.CityOf(local.Facility);
            await OfferInTurnAsync(WaitlistScope.ForClinic(local.Clinic), calendar, freedAt).ConfigureAwait(false);
            await OfferInTurnAsync(WaitlistScope.ForCityBranch(city, local.Branch), calendar, freedAt).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Warn($"Could not offer the free slots of {calendar} to the waitlist ({e.Message}); they stay free and are offered at the next release, sweep or registration there.");
        }
    }

    /// <summary>
    /// Leaves the calendar for the scope's offerer, or becomes it (wait_enter.lua) and offers every pending calendar
    /// until none is left (wait_next.lua), so one node at a time walks a scope's queue.
    /// </summary>
    private async ValueTask OfferInTurnAsync(WaitlistScope scope, CalendarKey calendar, long freedAt)
    {
        var keys = WaitKeys(scope);
        var token = Guid.NewGuid().ToString("N");
        var next = await EvalAsync(StoreScripts.WaitEnter, [keys.Pending, keys.Lock, keys.Queue, keys.Leases], [StoreKeys.CalendarRef(calendar), token, WaitLockMs], CancellationToken.None).ConfigureAwait(false);
        while (true)
        {
            // The first calendar comes from the enter step itself (one round trip saved), the rest from wait_next.lua.
            if (next.IsNull || next.AsString() is not { } text || !StoreKeys.TryParseCalendarRef(text, out var pending))
            {
                return;
            }

            if (pending != calendar)
            {
                // Freed by another node: read it from Redis now rather than wait for the change feed to bring the change.
                await _feed.RefreshAsync(pending).ConfigureAwait(false);
            }

            await OfferInAsync(scope, pending, freedAt).ConfigureAwait(false);
            next = await EvalAsync(StoreScripts.WaitNext, [keys.Pending, keys.Lock], [token, WaitLockMs], CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async ValueTask OfferInAsync(WaitlistScope scope, CalendarKey calendar, long freedAt)
    {
        var keys = WaitKeys(scope);
        var policy = Options.Waitlist;
        var day = int.Parse(calendar.Day.ToString("yyyyMMdd", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var maxLength = DayTemplate.MaxSlots;
        var tried = new List<RedisArgument>();
        for (var attempt = 0; attempt < WaitTriesPerPass && maxLength > 0; attempt++)
        {
            var leased = await LeaseNextAsync(keys, day, maxLength, tried).ConfigureAwait(false);
            if (leased.IsNull)
            {
                return;
            }

            var id = leased[0].AsInt64();
            var request = ParseWishRecord(scope, leased[1].AsString()!);
            var outcome = ClaimStatus.Taken;
            Reservation offer = default;
            try
            {
                (outcome, offer) = await TryOfferAsync(calendar, request).ConfigureAwait(false);
            }
            finally
            {
                // Settled even when the claim threw: the wish goes back to its place rather than waiting for its lease to end.
                var settle = outcome == ClaimStatus.Succeeded ? "o" : outcome is ClaimStatus.Taken or ClaimStatus.Closed or ClaimStatus.InPast or ClaimStatus.OutsideBookingWindow ? "b" : "r";
                RedisArgument detail = settle == "o" ? OfferText(offer) : settle == "r" ? (int)outcome : string.Empty;
                var settled = (await EvalAsync(StoreScripts.WaitSettle, [keys.Queue, keys.Records, keys.States, keys.Leases, keys.Refusals], [id, settle, detail, request.Group], CancellationToken.None).ConfigureAwait(false)).AsInt64();
                if (settle == "o" && settled == 2)
                {
                    // Cancelled while its offer was being made: the hold goes back (and to the next wish).
                    outcome = ClaimStatus.Stale;
                    _ = await ReleaseAsync(offer, CancellationToken.None).ConfigureAwait(false);
                }
            }

            switch (outcome)
            {
                case ClaimStatus.Succeeded:
                    Notify(new WaitlistOffer(new WishTicket(scope, id), request.Patient, request.Group, offer, Options.TimeProvider.GetElapsedTime(freedAt)));
                    tried.Clear();
                    break;
                case ClaimStatus.Taken or ClaimStatus.Closed or ClaimStatus.InPast:
                    maxLength = request.Length - 1;
                    tried.Add(id);
                    break;
                case ClaimStatus.OutsideBookingWindow:
                    return;
                default:
                    tried.Add(id);
                    break;
            }
        }
    }

    /// <summary>
    /// Leases the next waiting wish that matches (wait_lease.lua), walking the scope's queue in batches of
    /// <see cref="WaitScan"/> with a cursor (the last score looked at), so a wish behind any number of wishes that do
    /// not match is found: one round trip per batch. Null when no wish matches.
    /// </summary>
    private async ValueTask<RedisReply> LeaseNextAsync(WaitKeySet keys, int day, int maxLength, List<RedisArgument> tried)
    {
        RedisArgument cursor = "-inf";
        while (true)
        {
            var args = new List<RedisArgument>(5 + tried.Count) { day, maxLength, WaitLeaseMs, WaitScan, cursor };
            args.AddRange(tried);
            var leased = await EvalAsync(StoreScripts.WaitLease, [keys.Queue, keys.Records, keys.States, keys.Leases], [.. args], CancellationToken.None).ConfigureAwait(false);
            if (leased.IsNull || leased[0].AsInt64() != 0)
            {
                return leased;
            }

            cursor = leased[1].AsString()!;
        }
    }

    private async ValueTask<(ClaimStatus Status, Reservation Offer)> TryOfferAsync(CalendarKey calendar, WishRequest request)
    {
        var starts = _localEngine.FindEarliest(EarliestQuery.ForProviders([calendar.Provider], calendar.Day, calendar.Day, request.Length, 4));
        var status = ClaimStatus.Taken;
        foreach (var start in starts)
        {
            var claim = ClaimRequest.Hold(start.Calendar, start.Slots, request.Patient, Options.Waitlist.OfferWindow) with
            {
                Actor = request.Actor,
                Channel = request.Channel,
                PatientAttributes = request.PatientAttributes,
            };
            var result = await ClaimAsync(claim).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return (ClaimStatus.Succeeded, result.Reservation);
            }

            status = result.Status;
            if (status is not (ClaimStatus.Taken or ClaimStatus.Closed or ClaimStatus.InPast))
            {
                break;
            }
        }

        return (status, default);
    }

    private void Notify(in WaitlistOffer offer)
    {
        try
        {
            Options.Waitlist.OfferMade?.Invoke(offer);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The host's callback must not undo the offer; its failure is its own.
        }
    }

    /// <summary>An offer's state from this node's read model: booked with its token is accepted, held unexpired is offered, else it lapsed.</summary>
    private async ValueTask<WishState> OfferStateAsync(Reservation offer)
    {
        await EnsureLocalAsync(offer.Calendar).ConfigureAwait(false);
        if (_readModel.Find(offer.Calendar) is null)
        {
            return WishState.Lapsed;
        }

        var seat = _localEngine.GetCalendar(offer.Calendar)[offer.Slots.First, offer.Seat];
        if (seat.Token != offer.Token)
        {
            return WishState.Lapsed;
        }

        return seat.Status switch
        {
            SlotStatus.Booked => WishState.Accepted,
            SlotStatus.Held when seat.HoldExpiresAt > Options.TimeProvider.GetUtcNow() => WishState.Offered,
            _ => WishState.Lapsed,
        };
    }

    private WaitKeySet WaitKeys(WaitlistScope scope)
    {
        var tag = _keys.Prefix + "{w:" + (scope.Clinic is { } clinic
            ? "c:" + clinic.Value.ToString(CultureInfo.InvariantCulture)
            : "b:" + scope.City.Value.ToString(CultureInfo.InvariantCulture) + ":" + scope.Branch.Value.ToString(CultureInfo.InvariantCulture)) + "}";
        return WaitKeysOfTag(tag);
    }

    private static WaitKeySet WaitKeysOfTag(string tag) =>
        new(tag + ":q", tag + ":h", tag + ":s", tag + ":n", tag + ":l", tag + ":r", tag + ":p", tag + ":k", tag + ":f");

    private string PatientWishesKey(PatientKey patient) => _keys.ActiveKey(patient) + ":w";

    private static string TicketText(WishTicket ticket) => ticket.Scope.Clinic is { } clinic
        ? string.Create(CultureInfo.InvariantCulture, $"c:{clinic.Value}:{ticket.Id}")
        : string.Create(CultureInfo.InvariantCulture, $"b:{ticket.Scope.City.Value}:{ticket.Scope.Branch.Value}:{ticket.Id}");

    private static bool TryParseTicket(string text, out WishTicket ticket)
    {
        var parts = text.Split(':');
        ticket = default;
        if (parts is ["c", var clinic, var id])
        {
            ticket = new WishTicket(WaitlistScope.ForClinic(new ClinicId(int.Parse(clinic, CultureInfo.InvariantCulture))), long.Parse(id, CultureInfo.InvariantCulture));
            return true;
        }

        if (parts is ["b", var city, var branch, var bid])
        {
            ticket = new WishTicket(WaitlistScope.ForCityBranch(new CityCode(int.Parse(city, CultureInfo.InvariantCulture)), new BranchId(int.Parse(branch, CultureInfo.InvariantCulture))), long.Parse(bid, CultureInfo.InvariantCulture));
            return true;
        }

        return false;
    }

    private static string WishRecord(in WishRequest r) => string.Create(
        CultureInfo.InvariantCulture,
        $"{r.Patient.Value:x16}|{r.From:yyyyMMdd}|{r.To:yyyyMMdd}|{r.Length}|{r.Group}|{(int)r.Actor}|{(int)r.Channel}|{(int)r.PatientAttributes}");

    private static WishRequest ParseWishRecord(WaitlistScope scope, string text)
    {
        var f = text.Split('|');
        return new WishRequest(
            scope,
            DateOnly.ParseExact(f[1], "yyyyMMdd", CultureInfo.InvariantCulture),
            DateOnly.ParseExact(f[2], "yyyyMMdd", CultureInfo.InvariantCulture),
            int.Parse(f[3], CultureInfo.InvariantCulture),
            new PatientKey(ulong.Parse(f[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
            int.Parse(f[4], CultureInfo.InvariantCulture))
        {
            Actor = (Actor)int.Parse(f[5], CultureInfo.InvariantCulture),
            Channel = (BookingChannel)int.Parse(f[6], CultureInfo.InvariantCulture),
            PatientAttributes = (PatientAttributes)int.Parse(f[7], CultureInfo.InvariantCulture),
        };
    }

    private static string OfferText(in Reservation r) => string.Create(
        CultureInfo.InvariantCulture,
        $"{r.Calendar.Provider.Value}|{r.Calendar.Day:yyyyMMdd}|{r.Slots.First}|{r.Slots.Length}|{r.Seat}|{r.Token}|{r.Patient.Value:x16}|{r.HoldExpiresAt?.ToUnixTimeMilliseconds() ?? 0}");

    private static Reservation ParseOffer(string text)
    {
        var f = text.Split('|');
        var expiry = long.Parse(f[7], CultureInfo.InvariantCulture);
        return new Reservation(
            new CalendarKey(new ProviderId(int.Parse(f[0], CultureInfo.InvariantCulture)), DateOnly.ParseExact(f[1], "yyyyMMdd", CultureInfo.InvariantCulture)),
            new SlotRange(int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture)),
            int.Parse(f[4], CultureInfo.InvariantCulture),
            long.Parse(f[5], CultureInfo.InvariantCulture),
            new PatientKey(ulong.Parse(f[6], NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
            expiry == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(expiry));
    }

    private sealed record WaitKeySet(RedisKey Queue, RedisKey Records, RedisKey States, RedisKey Last, RedisKey Leases, RedisKey Refusals, RedisKey Pending, RedisKey Lock, RedisKey Finished);
}
