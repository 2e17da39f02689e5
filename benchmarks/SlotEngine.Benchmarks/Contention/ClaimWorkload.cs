using SlotEngine.Benchmarks.Infrastructure;
using SlotEngine.Benchmarks.Peers;

namespace SlotEngine.Benchmarks.Contention;

/// <summary>
/// A loop of claim + release round trips for worker 0 or 1. With <c>sameCalendar</c> false the two
/// workers use different doctors (different calendars); with it true they use neighbouring slots
/// (10 and 11) of one doctor-day, so they share the calendar's word, counters and lock. The loop
/// is inside each implementation, so no virtual call sits between two operations. Failed round
/// trips are counted; the benchmark fails the run if there were any.
/// </summary>
public abstract class ClaimWorkload
{
    private const int Slot = 10;
    private long _failures;

    public long Failures => Volatile.Read(ref _failures);

    public static ClaimWorkload Create(Implementation implementation, bool sameCalendar) => implementation switch
    {
        Implementation.Floor => new FloorWorkload(sameCalendar),
        Implementation.Engine => new EngineWorkload(sameCalendar),
        Implementation.LockPeer => new LockWorkload(sameCalendar),
        Implementation.DictionaryPeer => new DictionaryWorkload(sameCalendar),
        _ => throw new ArgumentOutOfRangeException(nameof(implementation)),
    };

    /// <summary>Runs <paramref name="operations"/> claim + release round trips as worker 0 or 1.</summary>
    public abstract void Run(int worker, int operations);

    protected static int CalendarOf(int worker, bool sameCalendar) => sameCalendar ? 0 : worker;

    protected static int SlotOf(int worker, bool sameCalendar) => sameCalendar ? Slot + worker : Slot;

    protected void AddFailures(int failures)
    {
        if (failures != 0)
        {
            Interlocked.Add(ref _failures, failures);
        }
    }

    private sealed class FloorWorkload(bool sameCalendar) : ClaimWorkload
    {
        private readonly CasFloor _floor = new(2);

        public override void Run(int worker, int operations)
        {
            var calendar = CalendarOf(worker, sameCalendar);
            var slot = SlotOf(worker, sameCalendar);
            var failures = 0;
            for (var i = 0; i < operations; i++)
            {
                if (_floor.TryClaim(calendar, slot))
                {
                    _floor.Release(calendar, slot);
                }
                else
                {
                    failures++;
                }
            }

            AddFailures(failures);
        }
    }

    private sealed class EngineWorkload : ClaimWorkload
    {
        private readonly InMemorySlotEngine _engine;
        private readonly ClaimRequest[] _requests = new ClaimRequest[2];

        public EngineWorkload(bool sameCalendar)
        {
            _engine = EngineSetup.Create(QuotaPolicy.None, providers: 2);
            var day = EngineSetup.ClaimDay(_engine);
            for (var worker = 0; worker < 2; worker++)
            {
                var provider = new ProviderId(worker);
                _engine.Publish(provider, day, DayTemplate.Standard);
                var calendar = new CalendarKey(new ProviderId(CalendarOf(worker, sameCalendar)), day);
                _requests[worker] = ClaimRequest.Book(calendar, SlotRange.Single(SlotOf(worker, sameCalendar)), EngineSetup.Patient(_engine, worker));
            }
        }

        public override void Run(int worker, int operations)
        {
            var request = _requests[worker];
            var failures = 0;
            for (var i = 0; i < operations; i++)
            {
                var claim = _engine.TryClaim(in request);
                if (!claim.Succeeded || !_engine.TryRelease(claim.Reservation).Succeeded)
                {
                    failures++;
                }
            }

            AddFailures(failures);
        }
    }

    private sealed class LockWorkload : ClaimWorkload
    {
        private readonly LockCalendarStore _store = new();
        private readonly CalendarKey[] _calendars = new CalendarKey[2];
        private readonly int[] _slots = new int[2];

        public LockWorkload(bool sameCalendar)
        {
            var day = DateOnly.FromDateTime(DateTime.UnixEpoch).AddDays(20_000);
            for (var worker = 0; worker < 2; worker++)
            {
                _store.Publish(new CalendarKey(new ProviderId(worker), day), DayTemplate.Standard.SlotCount);
                _calendars[worker] = new CalendarKey(new ProviderId(CalendarOf(worker, sameCalendar)), day);
                _slots[worker] = SlotOf(worker, sameCalendar);
            }
        }

        public override void Run(int worker, int operations)
        {
            var calendar = _calendars[worker];
            var slot = _slots[worker];
            var patient = (ulong)worker + 1;
            var failures = 0;
            for (var i = 0; i < operations; i++)
            {
                var token = _store.TryClaim(calendar, slot, 1, patient);
                if (token == 0 || !_store.TryRelease(calendar, slot, 1, token))
                {
                    failures++;
                }
            }

            AddFailures(failures);
        }
    }

    private sealed class DictionaryWorkload(bool sameCalendar) : ClaimWorkload
    {
        private const int Day = 20_000;
        private readonly DictionarySlotStore _store = new();

        public override void Run(int worker, int operations)
        {
            var provider = CalendarOf(worker, sameCalendar);
            var slot = SlotOf(worker, sameCalendar);
            var patient = (ulong)worker + 1;
            var failures = 0;
            for (var i = 0; i < operations; i++)
            {
                if (!_store.TryClaim(provider, Day, slot, 1, patient) || !_store.TryRelease(provider, Day, slot, 1, patient))
                {
                    failures++;
                }
            }

            AddFailures(failures);
        }
    }
}
