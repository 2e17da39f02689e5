namespace SlotEngine.Tests.ModelTests;

/// <summary>
/// A plain, obviously correct model of the engine: a grid of cells per published calendar, a list of
/// claims, quotas counted by brute force. No bit tricks, no concurrency. Expired holds are free to
/// every observer; the model drops them when a claim or a sweep meets them.
/// </summary>
internal sealed class ReferenceModel(bool quotas, Func<int, PatientKey> keyOf)
{
    public const int Free = 0;
    public const int Closed = -1;
    public static readonly long HoldMaxTicks = TimeSpan.FromMinutes(30).Ticks;
    public static readonly long CutoffTicks = TimeSpan.FromMinutes(80).Ticks;
    public static readonly long RetentionTicks = TimeSpan.FromHours(24).Ticks;

    private readonly Dictionary<CalendarKey, ModelCalendar> _calendars = [];
    private readonly Dictionary<CalendarKey, long> _lastTokenEver = [];
    private readonly Dictionary<string, (ClaimRequest Request, ClaimResult Result, long Created)> _idempotency = [];

    public long Now { get; set; } = Support.TestWorld.Start.UtcTicks;

    public int TodayNumber => DateOnly.FromDateTime(new DateTime(Now).AddHours(3)).DayNumber;

    public IEnumerable<ModelCalendar> Calendars => _calendars.Values;

    public ModelCalendar? Find(CalendarKey key) => _calendars.GetValueOrDefault(key);

    public bool Publish(ProviderSpec spec, DateOnly day)
    {
        var key = new CalendarKey(new ProviderId(spec.Id), day);
        if (_calendars.ContainsKey(key))
        {
            return false;
        }

        _calendars[key] = new ModelCalendar(key, spec);
        return true;
    }

    public (SlotEngineError? Error, int Closed, List<DisplacedClaim> Displaced) Withdraw(CalendarKey key)
    {
        if (!_calendars.TryGetValue(key, out var calendar))
        {
            return (SlotEngineError.DayNotPublished, 0, []);
        }

        var (closed, displaced) = BlockOn(calendar, 0, calendar.Spec.SlotCount);
        _calendars.Remove(key);
        return (null, closed, displaced);
    }

    /// <summary>What a claim must answer. When it succeeds, <paramref name="engineToken"/> is the token the engine issued; the model checks it is fresh.</summary>
    public (SlotEngineError? Error, ClaimStatus[] Allowed, ClaimResult Result) Claim(ClaimRequest request, long engineToken)
    {
        if (request.HoldFor is { } ttl && (ttl.Ticks <= 0 || ttl.Ticks > HoldMaxTicks))
        {
            return (SlotEngineError.InvalidHoldDuration, [], default);
        }

        if (!_calendars.TryGetValue(request.Calendar, out var calendar))
        {
            return (SlotEngineError.DayNotPublished, [], default);
        }

        var spec = calendar.Spec;
        var (first, length) = (request.Slots.First, request.Slots.Length);
        if (first < 0 || first >= spec.SlotCount)
        {
            return (SlotEngineError.SlotOutOfRange, [], default);
        }

        if (length < 1 || length > spec.SlotCount - first)
        {
            return (SlotEngineError.InvalidLength, [], default);
        }

        if (spec.Locate(first).Session != spec.Locate(first + length - 1).Session)
        {
            return (SlotEngineError.CrossesSession, [], default);
        }

        if (request.IdempotencyKey is { } idem && _idempotency.TryGetValue(idem, out var record))
        {
            if (record.Created + RetentionTicks <= Now)
            {
                _idempotency.Remove(idem);
            }
            else if (record.Request != request)
            {
                return (SlotEngineError.IdempotencyKeyReused, [], default);
            }
            else
            {
                return (null, [ClaimStatus.Succeeded], record.Result);
            }
        }

        var result = ClaimOn(calendar, request, engineToken, out var allowed);
        if (result.Succeeded && request.IdempotencyKey is { } key)
        {
            _idempotency[key] = (request, result, Now);
        }

        return (null, allowed, result);
    }

    private ClaimResult ClaimOn(ModelCalendar calendar, ClaimRequest request, long engineToken, out ClaimStatus[] allowed)
    {
        var spec = calendar.Spec;
        var day = calendar.Key.Day;
        var (first, length) = (request.Slots.First, request.Slots.Length);
        if (day.DayNumber < TodayNumber + 1 || day.DayNumber > TodayNumber + 15)
        {
            return FailWith([ClaimStatus.OutsideBookingWindow], out allowed);
        }

        if (spec.StartTicks(day, first) <= Now)
        {
            return FailWith([ClaimStatus.InPast], out allowed);
        }

        var patient = PatientOf(request.Patient);
        if (quotas)
        {
            var live = LiveClaims().Where(c => c.Patient == patient && c.Calendar.Key.Day == day).ToList();
            if (live.Count(c => c.Calendar.Spec.Clinic == spec.Clinic) >= 1 || live.Count(c => c.Calendar.Spec.Facility == spec.Facility) >= 2)
            {
                return FailWith([ClaimStatus.QuotaExceeded], out allowed);
            }
        }

        for (var seat = 0; seat < spec.Capacity; seat++)
        {
            if (!Enumerable.Range(first, length).All(slot => calendar.IsFreeFor(seat, slot, Now)))
            {
                continue;
            }

            if (engineToken <= _lastTokenEver.GetValueOrDefault(calendar.Key))
            {
                throw new ModelMismatchException($"token {engineToken} is not above the last token {_lastTokenEver.GetValueOrDefault(calendar.Key)} of {calendar.Key}");
            }

            _lastTokenEver[calendar.Key] = engineToken;
            var expiry = request.HoldFor is { } ttl ? Now + ttl.Ticks : 0;
            var claim = new ModelClaim(calendar, seat, first, length, patient, engineToken) { Booked = expiry == 0, Expiry = expiry };
            for (var slot = first; slot < first + length; slot++)
            {
                if (calendar.Cells[seat, slot] is ModelClaim expired)
                {
                    calendar.RemoveClaim(expired);
                }
            }

            calendar.Place(claim);
            allowed = [ClaimStatus.Succeeded];
            return ClaimResult.Success(ReservationOf(claim));
        }

        // When the range holds both a closed and a taken slot, either answer is true.
        var anyClosed = Enumerable.Range(first, length).Any(slot => calendar.Cells[0, slot] is ClosedCell);
        var anyTaken = Enumerable.Range(0, spec.Capacity).Any(seat => Enumerable.Range(first, length).Any(slot => calendar.Cells[seat, slot] is ModelClaim c && c.IsLive(Now)));
        return FailWith(anyClosed && anyTaken ? [ClaimStatus.Closed, ClaimStatus.Taken] : [anyClosed ? ClaimStatus.Closed : ClaimStatus.Taken], out allowed);
    }

    private static ClaimResult FailWith(ClaimStatus[] statuses, out ClaimStatus[] allowed)
    {
        allowed = statuses;
        return ClaimResult.Failed(statuses[0]);
    }

    public ClaimResult Confirm(Reservation reservation)
    {
        if (!_calendars.ContainsKey(reservation.Calendar))
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        var claim = FindClaim(reservation);
        if (claim is null)
        {
            return ClaimResult.Failed(reservation.HoldExpiresAt is { } e && e.UtcTicks <= Now ? ClaimStatus.HoldExpired : ClaimStatus.Stale);
        }

        if (!claim.Booked)
        {
            if (claim.Expiry <= Now)
            {
                return ClaimResult.Failed(ClaimStatus.HoldExpired);
            }

            claim.Booked = true;
        }

        return ClaimResult.Success(reservation with { HoldExpiresAt = null });
    }

    /// <summary>Release (no cutoff) or cancel (the patient's cutoff applies to bookings).</summary>
    public ClaimResult Release(Reservation reservation, CancelActor? actor)
    {
        var claim = FindClaim(reservation);
        if (claim is null || (!claim.Booked && claim.Expiry <= Now))
        {
            return ClaimResult.Failed(ClaimStatus.Stale);
        }

        if (claim.Booked && actor == CancelActor.Patient && Now > claim.Calendar.Spec.StartTicks(claim.Calendar.Key.Day, reservation.Slots.First) - CutoffTicks)
        {
            return ClaimResult.Failed(ClaimStatus.CancelTooLate);
        }

        claim.Calendar.RemoveClaim(claim);
        return ClaimResult.Success(reservation);
    }

    public (SlotEngineError? Error, int Closed, List<DisplacedClaim> Displaced) Block(CalendarKey key, int first, int length)
    {
        if (ValidateAdmin(key, first, length, out var calendar) is { } error)
        {
            return (error, 0, []);
        }

        var (closed, displaced) = BlockOn(calendar!, first, length);
        return (null, closed, displaced);
    }

    public (SlotEngineError? Error, int Opened) Reopen(CalendarKey key, int first, int length)
    {
        if (ValidateAdmin(key, first, length, out var calendar) is { } error)
        {
            return (error, 0);
        }

        var opened = 0;
        for (var seat = 0; seat < calendar!.Spec.Capacity; seat++)
        {
            for (var slot = first; slot < first + length; slot++)
            {
                if (calendar.Cells[seat, slot] is ClosedCell)
                {
                    calendar.Cells[seat, slot] = null;
                    opened++;
                }
            }
        }

        return (null, opened);
    }

    /// <summary>Checks a sweep's report: each one a distinct expired hold still in the model. Then drops every expired hold.</summary>
    public string? Sweep(IReadOnlyList<Reservation> reported)
    {
        var expired = LiveOrExpiredClaims().Where(c => !c.Booked && c.Expiry <= Now).ToDictionary(c => ReservationOf(c));
        foreach (var r in reported)
        {
            if (!expired.Remove(r))
            {
                return $"the sweep reported {r}, which is not an expired hold (or was reported twice)";
            }
        }

        foreach (var claim in LiveOrExpiredClaims().Where(c => !c.Booked && c.Expiry <= Now).ToList())
        {
            claim.Calendar.RemoveClaim(claim);
        }

        foreach (var key in _idempotency.Where(p => p.Value.Created + RetentionTicks <= Now).Select(p => p.Key).ToList())
        {
            _idempotency.Remove(key);
        }

        return null;
    }

    public List<DayFreeCount> FreeCounts(int provider, DateOnly from, DateOnly to)
    {
        var list = new List<DayFreeCount>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            if (Find(new CalendarKey(new ProviderId(provider), day)) is not { } calendar)
            {
                continue;
            }

            var spec = calendar.Spec;
            var total = spec.SlotCount * spec.Capacity;
            if (!InWindow(day))
            {
                list.Add(new DayFreeCount(day, 0, total));
                continue;
            }

            var free = 0;
            for (var slot = 0; slot < spec.SlotCount; slot++)
            {
                for (var seat = 0; seat < spec.Capacity; seat++)
                {
                    if (spec.StartTicks(day, slot) > Now && calendar.IsFreeFor(seat, slot, Now))
                    {
                        free++;
                    }
                }
            }

            list.Add(new DayFreeCount(day, free, total));
        }

        return list;
    }

    public List<FreeStart> Earliest(IEnumerable<int> providers, DateOnly from, DateOnly to, int length, int count, int perCalendar)
    {
        var candidates = new List<FreeStart>();
        foreach (var provider in providers)
        {
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                if (!InWindow(day) || Find(new CalendarKey(new ProviderId(provider), day)) is not { } calendar)
                {
                    continue;
                }

                var spec = calendar.Spec;
                var found = 0;
                for (var s = 0; s + length <= spec.SlotCount && found < perCalendar; s++)
                {
                    if (spec.StartTicks(day, s) <= Now || spec.Locate(s).Session != spec.Locate(s + length - 1).Session)
                    {
                        continue;
                    }

                    if (Enumerable.Range(0, spec.Capacity).Any(seat => Enumerable.Range(s, length).All(x => calendar.IsFreeFor(seat, x, Now))))
                    {
                        candidates.Add(new FreeStart(calendar.Key, new SlotRange(s, length), new DateTimeOffset(spec.StartTicks(day, s), TimeSpan.Zero)));
                        found++;
                    }
                }
            }
        }

        return candidates.OrderBy(c => c.Start).ThenBy(c => c.Calendar.Provider.Value).Take(count).ToList();
    }

    /// <summary>What a snapshot of the calendar must show for one seat of one slot.</summary>
    public SeatView ViewOf(ModelCalendar calendar, int seat, int slot) => calendar.Cells[seat, slot] switch
    {
        ClosedCell => new SeatView(SlotStatus.Closed, default, 0, null),
        ModelClaim { Booked: true } c => new SeatView(SlotStatus.Booked, keyOf(c.Patient), c.Token, null),
        ModelClaim c when c.Expiry > Now => new SeatView(SlotStatus.Held, keyOf(c.Patient), c.Token, new DateTimeOffset(c.Expiry, TimeSpan.Zero)),
        _ => new SeatView(SlotStatus.Free, default, 0, null),
    };

    public Reservation ReservationOf(ModelClaim c) => new(
        c.Calendar.Key, new SlotRange(c.First, c.Length), c.Seat, c.Token, keyOf(c.Patient), c.Booked ? null : new DateTimeOffset(c.Expiry, TimeSpan.Zero));

    private bool InWindow(DateOnly day) => day.DayNumber >= TodayNumber + 1 && day.DayNumber <= TodayNumber + 15;

    private SlotEngineError? ValidateAdmin(CalendarKey key, int first, int length, out ModelCalendar? calendar)
    {
        if (!_calendars.TryGetValue(key, out calendar))
        {
            return SlotEngineError.DayNotPublished;
        }

        if (first < 0 || first >= calendar.Spec.SlotCount)
        {
            return SlotEngineError.SlotOutOfRange;
        }

        return length < 1 || length > calendar.Spec.SlotCount - first ? SlotEngineError.InvalidLength : null;
    }

    private (int Closed, List<DisplacedClaim> Displaced) BlockOn(ModelCalendar calendar, int first, int length)
    {
        var closed = 0;
        var displaced = new List<DisplacedClaim>();
        for (var seat = 0; seat < calendar.Spec.Capacity; seat++)
        {
            for (var slot = first; slot < first + length; slot++)
            {
                switch (calendar.Cells[seat, slot])
                {
                    case ClosedCell:
                        break;
                    case ModelClaim claim:
                        if (claim.IsLive(Now))
                        {
                            displaced.Add(new DisplacedClaim(ReservationOf(claim), claim.Booked));
                        }

                        calendar.RemoveClaim(claim);
                        calendar.Cells[seat, slot] = ClosedCell.Instance;
                        closed++;
                        break;
                    default:
                        calendar.Cells[seat, slot] = ClosedCell.Instance;
                        closed++;
                        break;
                }
            }
        }

        return (closed, displaced);
    }

    private ModelClaim? FindClaim(Reservation r) =>
        _calendars.TryGetValue(r.Calendar, out var calendar) && (uint)r.Seat < (uint)calendar.Spec.Capacity &&
        calendar.Cells[r.Seat, r.Slots.First] is ModelClaim c && c.Token == r.Token && c.First == r.Slots.First
            ? c
            : null;

    private IEnumerable<ModelClaim> LiveOrExpiredClaims() => _calendars.Values.SelectMany(c => c.Claims);

    private IEnumerable<ModelClaim> LiveClaims() => LiveOrExpiredClaims().Where(c => c.IsLive(Now));

    private int PatientOf(PatientKey key)
    {
        for (var i = 0; i < 64; i++)
        {
            if (keyOf(i) == key)
            {
                return i;
            }
        }

        throw new ModelMismatchException("unknown patient key " + key);
    }
}

/// <summary>A closed cell.</summary>
internal sealed class ClosedCell
{
    public static readonly ClosedCell Instance = new();
}

/// <summary>A hold or booking in the model.</summary>
internal sealed class ModelClaim(ModelCalendar calendar, int seat, int first, int length, int patient, long token)
{
    public ModelCalendar Calendar { get; } = calendar;

    public int Seat { get; } = seat;

    public int First { get; } = first;

    public int Length { get; } = length;

    public int Patient { get; } = patient;

    public long Token { get; } = token;

    public bool Booked { get; set; }

    public long Expiry { get; init; }

    public bool IsLive(long now) => Booked || Expiry > now;
}

/// <summary>A published calendar in the model: a cell per seat and slot (null = free).</summary>
internal sealed class ModelCalendar(CalendarKey key, ProviderSpec spec)
{
    public CalendarKey Key { get; } = key;

    public ProviderSpec Spec { get; } = spec;

    public object?[,] Cells { get; } = new object?[spec.Capacity, spec.SlotCount];

    public List<ModelClaim> Claims { get; } = [];

    public bool IsFreeFor(int seat, int slot, long now) => Cells[seat, slot] switch
    {
        null => true,
        ModelClaim c => !c.IsLive(now),
        _ => false,
    };

    public void Place(ModelClaim claim)
    {
        for (var slot = claim.First; slot < claim.First + claim.Length; slot++)
        {
            Cells[claim.Seat, slot] = claim;
        }

        Claims.Add(claim);
    }

    public void RemoveClaim(ModelClaim claim)
    {
        for (var slot = claim.First; slot < claim.First + claim.Length; slot++)
        {
            if (ReferenceEquals(Cells[claim.Seat, slot], claim))
            {
                Cells[claim.Seat, slot] = null;
            }
        }

        Claims.Remove(claim);
    }
}

/// <summary>The engine and the model disagree.</summary>
public sealed class ModelMismatchException(string message) : Exception(message);
