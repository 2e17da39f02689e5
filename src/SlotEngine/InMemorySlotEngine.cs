using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// The engine in memory: calendars as lock-free bitmaps, claims by compare-and-swap, queries as
/// snapshots. No lock is taken on any claim, confirm, release or query path; publishing and
/// registration (rare, administrative) take short locks. Thread-safe.
/// </summary>
/// <remarks>
/// Each operation has a synchronous <c>Try…</c> fast path that allocates nothing in the steady
/// state, and a <see cref="ValueTask"/> twin from <see cref="ISlotEngine"/>. Holds expire with no
/// background thread: a claim that meets an expired hold takes it; <see cref="SweepExpiredHolds"/>
/// reclaims them early. Time comes only from <see cref="SlotEngineOptions.TimeProvider"/>.
/// </remarks>
public sealed partial class InMemorySlotEngine : ISlotEngine
{
    private readonly EngineClock _clock;
    private readonly TimeZoneInfo _zone;
    private readonly PatientDirectory _patients;
    private readonly QuotaLedger _quotas;
    private readonly IdempotencyLedger _idempotency = new();
    private readonly ConcurrentDictionary<(DayTemplate Template, DateOnly Day), DayLayout> _layouts = new();
    private readonly BookingRules _rules;
    private readonly long _idempotencyRetentionTicks;
    private readonly bool _prepareQuotaDays;

    /// <summary>Whether the daily quotas are judged from the active cap's entries (<see cref="ActiveLedger.WithinQuotas"/>) instead of the quota ledger's tables: with the cap on, every live claim of a patient has an entry.</summary>
    private readonly bool _quotasByCap;
    private LocalDay? _today;

    /// <summary>Creates an engine.</summary>
    /// <param name="options">Settings; validated here. <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public InMemorySlotEngine(SlotEngineOptions? options = null)
        : this(options, forReadModel: false)
    {
    }

    /// <summary>Creates an engine; <paramref name="forReadModel"/> for a store's read model (<see cref="Stores.ReadModel"/>), which never claims, so no claim-side table is sized up front.</summary>
    internal InMemorySlotEngine(SlotEngineOptions? options, bool forReadModel)
    {
        Options = options ?? new SlotEngineOptions();
        Options.Validate();
        _clock = new EngineClock(Options.TimeProvider);
        _zone = Options.TimeZone;
        PatientKeys = Options.PatientKeyHasher ?? PatientKeyHasher.CreateEphemeral();
        Directory = new SlotDirectory(Options.MaxOpenDaysPerProvider);
        // Beside each patient's key: the admission instant, then the active cap's entries (not in a read model, which never claims).
        _patients = new PatientDirectory(Options.ExpectedPatients, (Options.Admission.IsEnabled ? AdmissionTable.PayloadLength : 0) + (forReadModel ? 0 : Options.MaxActiveAppointments * ActiveLedger.LongsPerEntry));
        _quotas = new QuotaLedger(Directory, Options.ExpectedClaimsPerDay);
        _rules = new BookingRules(Options);
        // With the cap, the quotas are judged from the patient's cap entries (ActiveLedger.Quotas.cs): no quota tables.
        _quotasByCap = !forReadModel && _rules.MaxActiveAppointments > 0 && Options.Quotas.RuleSpan.Length > 0;
        _prepareQuotaDays = Options.ExpectedClaimsPerDay > 0 && !_quotasByCap;
        _idempotencyRetentionTicks = Options.IdempotencyRetention.Ticks;
        _audit = _rules.Audit ? new AuditLog(forReadModel ? 0 : Options.ExpectedAuditRecords) : null;
        _auditMaxRecords = Options.AuditMaxRecords;
        InitRush(forReadModel);
        InitSweepList(forReadModel);
        _lapses = Options.Approval.IsEnabled ? new ApprovalLapses(this) : null;
    }

    /// <inheritdoc />
    public SlotDirectory Directory { get; }

    /// <inheritdoc />
    public SlotEngineOptions Options { get; }

    /// <summary>Turns national IDs into the patient keys claims carry.</summary>
    public PatientKeyHasher PatientKeys { get; }

    /// <summary>The patient key of a national ID (shorthand for <c>PatientKeys.KeyOf(id)</c>).</summary>
    /// <param name="id">A validated ID.</param>
    /// <returns>The key.</returns>
    public PatientKey PatientOf(NationalId id) => PatientKeys.KeyOf(id);

    /// <summary>The booking rules this engine applies (window, in the past, cutoff, hold limit, input checks), taken from <see cref="Options"/> once.</summary>
    public BookingRules Rules => _rules;

    /// <summary>The quota ledger (for tests: its days and keys).</summary>
    internal QuotaLedger QuotaLedger => _quotas;

    /// <summary>The patient directory (for tests and memory accounting).</summary>
    internal PatientDirectory Patients => _patients;

    /// <inheritdoc />
    public DateOnly Today => TodayAt(NowTicks());

    private long NowTicks() => _clock.UtcTicks();

    private DateOnly TodayAt(long nowTicks)
    {
        var today = Volatile.Read(ref _today);
        if (today is not null && nowTicks >= today.StartUtcTicks && nowTicks < today.EndUtcTicks)
        {
            return today.Day;
        }

        var local = TimeZoneInfo.ConvertTime(new DateTimeOffset(nowTicks, TimeSpan.Zero), _zone);
        var day = DateOnly.FromDateTime(local.DateTime);
        today = new LocalDay(day, DayLayout.LocalMidnightUtcTicks(day, _zone), DayLayout.LocalMidnightUtcTicks(day.AddDays(1), _zone));
        Volatile.Write(ref _today, today);
        return day;
    }

    private bool InBookingWindow(DateOnly day, DateOnly today) => _rules.IsInBookingWindow(day, today);

    private DayLayout LayoutFor(DayTemplate template, DateOnly day) =>
        _layouts.GetOrAdd((template, day), static (key, self) => new DayLayout(key.Template, key.Day, self._zone, self.Options.ExpectedClaimsPerDay) { ApprovalLapses = self._lapses, ApprovalDeadlineTicks = self._rules.ApprovalOf(key.Day).DeadlineUtcTicks, WidePatients = self._patients.Capacity > 65_536, ExpectedCalendars = self.Directory.ProviderCount }, this);

    private Calendar RequireCalendar(CalendarKey key)
    {
        var provider = Directory.GetProvider(key.Provider);
        return provider.GetCalendar(key.Day) ?? ThrowNotPublished(key);
    }

    // Cold: the message is built apart from the claim's hot path (see BookingRules.ValidateRange).
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static Calendar ThrowNotPublished(CalendarKey key) =>
        throw new SlotEngineArgumentException(SlotEngineError.DayNotPublished, $"{key} is not published.", "calendar");

    private Calendar? FindCalendar(CalendarKey key) =>
        Directory.GetProvider(key.Provider).GetCalendar(key.Day);

    private static void ValidateRange(Calendar calendar, SlotRange slots, bool withinOneSession) =>
        BookingRules.ValidateRange(calendar.Key, calendar.Layout.Template, slots, withinOneSession);

    private static void ValidateSeat(Calendar calendar, int seat) => BookingRules.ValidateSeat(calendar.Key, calendar.Layout.Template, seat);

    private Reservation ToReservation(Calendar calendar, in RemovedClaim claim) => new(
        calendar.Key,
        new SlotRange(claim.First, claim.Length),
        claim.Seat,
        claim.Token,
        _patients.KeyAt(claim.Patient),
        claim.WasBooked ? null : new DateTimeOffset(claim.HoldExpiryTicks, TimeSpan.Zero));

    /// <summary>Today's bounds in UTC, swapped as a whole when the local day changes.</summary>
    private sealed record LocalDay(DateOnly Day, long StartUtcTicks, long EndUtcTicks);
}
