using BenchmarkDotNet.Attributes;
using SlotEngine.Benchmarks.Infrastructure;
using SlotEngine.Benchmarks.Peers;

namespace SlotEngine.Benchmarks.Claims;

/// <summary>
/// Claim and release of one known slot on one thread, every way side by side in one run: the bare
/// CAS floor (baseline), the engine's public API (book + release without and with MHRS quotas,
/// hold + confirm + release), the engine's calendar alone (internal, no API around it), a
/// lock-per-calendar <c>bool[]</c> store and a
/// <c>ConcurrentDictionary</c> of slots. Each benchmark checks that its claim succeeded; a failure
/// is counted and fails the run at cleanup, so a number can never come from a path that stopped
/// working (for example a day that fell out of the booking window).
/// </summary>
[MemoryDiagnoser]
public class ClaimReleaseBenchmarks
{
    private const int Slot = 10;
    private static readonly TimeSpan HoldTtl = TimeSpan.FromMinutes(5);

    private readonly CasFloor _floor = new(1);
    private readonly LockCalendarStore _lockStore = new();
    private readonly DictionarySlotStore _dictionaryStore = new();
    private InMemorySlotEngine _engine = null!;
    private InMemorySlotEngine _mhrsEngine = null!;
    private Calendar _calendar = null!;
    private Calendar _indexedCalendar = null!;
    private readonly EngineClock _clock = new(TimeProvider.System);
    private uint _patientIndex;
    private long _nowTicks;
    private ClaimRequest _book;
    private ClaimRequest _hold;
    private ClaimRequest _mhrsBook;
    private CalendarKey _peerKey;
    private int _peerDay;
    private ulong _patientValue;
    private long _failures;

    [GlobalSetup]
    public void Setup()
    {
        _engine = EngineSetup.Create(QuotaPolicy.None, providers: 1);
        _mhrsEngine = EngineSetup.Create(QuotaPolicy.Mhrs, providers: 1);
        var day = EngineSetup.ClaimDay(_engine);
        var calendar = new CalendarKey(new ProviderId(0), day);
        _engine.Publish(calendar.Provider, day, DayTemplate.Standard);
        _mhrsEngine.Publish(calendar.Provider, day, DayTemplate.Standard);
        var patient = EngineSetup.Patient(_engine, 1);
        _book = ClaimRequest.Book(calendar, SlotRange.Single(Slot), patient);
        _hold = ClaimRequest.Hold(calendar, SlotRange.Single(Slot), patient, HoldTtl);
        _mhrsBook = ClaimRequest.Book(calendar, SlotRange.Single(Slot), EngineSetup.Patient(_mhrsEngine, 1));

        // The engine's own calendar, driven below the public API (internal): what the lock-free
        // protocol costs without lookups, validation, the clock, the patient directory or quotas.
        _calendar = _engine.Directory.GetProvider(calendar.Provider).GetCalendar(day)!;
        _patientIndex = 1;
        _nowTicks = _calendar.Layout.StartUtcTicks(0) - TimeSpan.TicksPerDay;

        // The same calendar in a group whose day index exists (a city + branch search made it): every claim and release
        // then also brings the index's offer and free bits in line (BranchDayIndex.Refresh). Beside the row above, this
        // row is that upkeep measured apart.
        var indexedEngine = EngineSetup.Create(QuotaPolicy.None, providers: 1);
        indexedEngine.Publish(calendar.Provider, day, DayTemplate.Standard);
        indexedEngine.FindEarliest(EarliestQuery.ForCityBranch(new CityCode(34), new BranchId(7), day, day));
        _indexedCalendar = indexedEngine.Directory.GetProvider(calendar.Provider).GetCalendar(day)!;
        if (!_indexedCalendar.IsIndexed || _calendar.IsIndexed)
        {
            throw new InvalidOperationException("The indexed row's calendar must be in a day index and the plain row's not.");
        }

        _peerKey = calendar;
        _peerDay = day.DayNumber;
        _patientValue = patient.Value;
        _lockStore.Publish(calendar, DayTemplate.Standard.SlotCount);

        // Each path once before measuring: it must succeed and leave the slot free again.
        if (!Floor() || !EngineBookRelease() || !EngineBookReleaseMhrsQuotas() || !EngineHoldConfirmRelease() || !EngineCalendarOnly() || !EngineCalendarIndexed() || !LockPeer() || !DictionaryPeer())
        {
            throw new InvalidOperationException("A claim path did not succeed in setup.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_failures != 0)
        {
            throw new InvalidOperationException($"{_failures} claim/release round trips failed during the run: the numbers are not of the success path.");
        }
    }

    [Benchmark(Baseline = true, Description = "Floor: bare CAS clear + set")]
    public bool Floor() => Check(_floor.TryClaim(0, Slot) && Release(_floor));

    [Benchmark(Description = "Engine: book + release (no quotas)")]
    public bool EngineBookRelease()
    {
        var claim = _engine.TryClaim(in _book);
        return Check(claim.Succeeded && _engine.TryRelease(claim.Reservation).Succeeded);
    }

    [Benchmark(Description = "Engine: book + release (MHRS quotas)")]
    public bool EngineBookReleaseMhrsQuotas()
    {
        var claim = _mhrsEngine.TryClaim(in _mhrsBook);
        return Check(claim.Succeeded && _mhrsEngine.TryRelease(claim.Reservation).Succeeded);
    }

    [Benchmark(Description = "Engine: hold + confirm + release (no quotas)")]
    public bool EngineHoldConfirmRelease()
    {
        var hold = _engine.TryClaim(in _hold);
        if (!hold.Succeeded)
        {
            return Check(false);
        }

        var booking = _engine.TryConfirm(hold.Reservation);
        return Check(booking.Succeeded && _engine.TryRelease(booking.Reservation).Succeeded);
    }

    [Benchmark(Description = "Engine internals: Calendar.TryClaim + Release")]
    public bool EngineCalendarOnly()
    {
        var status = _calendar.TryClaim(Slot, 1, _patientIndex, holdExpiryTicks: 0, _nowTicks, out var seat, out var token);
        return Check(status == ClaimStatus.Succeeded && _calendar.Release(seat, Slot, token, _patientIndex, _clock, long.MaxValue, out _) == ClaimStatus.Succeeded);
    }

    [Benchmark(Description = "Engine internals: Calendar.TryClaim + Release, day index kept")]
    public bool EngineCalendarIndexed()
    {
        var status = _indexedCalendar.TryClaim(Slot, 1, _patientIndex, holdExpiryTicks: 0, _nowTicks, out var seat, out var token);
        return Check(status == ClaimStatus.Succeeded && _indexedCalendar.Release(seat, Slot, token, _patientIndex, _clock, long.MaxValue, out _) == ClaimStatus.Succeeded);
    }

    [Benchmark(Description = "Peer: lock per calendar, bool[]")]
    public bool LockPeer()
    {
        var token = _lockStore.TryClaim(_peerKey, Slot, 1, _patientValue);
        return Check(token != 0 && _lockStore.TryRelease(_peerKey, Slot, 1, token));
    }

    [Benchmark(Description = "Peer: ConcurrentDictionary of slots")]
    public bool DictionaryPeer() =>
        Check(_dictionaryStore.TryClaim(0, _peerDay, Slot, 1, _patientValue) && _dictionaryStore.TryRelease(0, _peerDay, Slot, 1, _patientValue));

    private static bool Release(CasFloor floor)
    {
        floor.Release(0, Slot);
        return true;
    }

    private bool Check(bool succeeded)
    {
        if (!succeeded)
        {
            _failures++;
        }

        return succeeded;
    }
}
