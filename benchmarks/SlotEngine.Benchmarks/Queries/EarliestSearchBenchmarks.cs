using BenchmarkDotNet.Attributes;
using SlotEngine.Benchmarks.Infrastructure;
using SlotEngine.Benchmarks.Peers;

namespace SlotEngine.Benchmarks.Queries;

/// <summary>
/// The earliest 10 free starts across a clinic of 200 providers × 15 days × 48 slots (144,000
/// slots), partially booked in a fixed random pattern: the engine's <c>FindEarliest</c> against
/// LINQ over slot objects (baseline). Setup checks that both give the same answer.
/// </summary>
[MemoryDiagnoser]
public class EarliestSearchBenchmarks
{
    private const int Providers = 200;
    private const int Days = 15;
    private const int Count = 10;
    private const int Patients = 1_000;
    private const int Seed = 20_260_101;

    private InMemorySlotEngine _engine = null!;
    private EarliestQuery _query = null!;
    private LinqSlotSearch _linq = null!;
    private DateOnly _from;
    private DateOnly _to;

    [ParamsAllValues]
    public BookingPattern Pattern { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = EngineSetup.Create(QuotaPolicy.None, Providers);
        var template = DayTemplate.Standard;
        _from = _engine.Today.AddDays(_engine.Options.EarliestBookableDayOffset);
        _to = _from.AddDays(Days - 1);
        var patients = new PatientKey[Patients];
        for (var i = 0; i < Patients; i++)
        {
            patients[i] = EngineSetup.Patient(_engine, i);
        }

        var random = new Random(Seed);
        var slots = new List<Slot>(Providers * Days * template.SlotCount);
        var claims = 0;
        for (var d = 0; d < Days; d++)
        {
            var day = _from.AddDays(d);
            for (var p = 0; p < Providers; p++)
            {
                var provider = new ProviderId(p);
                _engine.Publish(provider, day, template);
                var calendar = new CalendarKey(provider, day);
                for (var s = 0; s < template.SlotCount; s++)
                {
                    var booked = random.NextDouble() < BookedProbability(d);
                    if (booked)
                    {
                        EngineSetup.Expect(_engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(s), patients[claims++ % Patients])), "Booking the pattern");
                    }

                    var local = day.ToDateTime(template.StartOf(s), DateTimeKind.Unspecified);
                    slots.Add(new Slot
                    {
                        Clinic = EngineSetup.Clinic.Value,
                        Provider = p,
                        Day = day,
                        Index = s,
                        Start = new DateTimeOffset(TimeZoneInfo.ConvertTimeToUtc(local, _engine.Options.TimeZone)),
                        IsFree = !booked,
                    });
                }
            }
        }

        _linq = new LinqSlotSearch(slots);
        _query = EarliestQuery.ForClinic(EngineSetup.Clinic, _from, _to, length: 1, count: Count).WithStartsPerCalendar(Count);
        CheckSameAnswer();
    }

    [Benchmark(Baseline = true, Description = "Peer: LINQ over slot objects")]
    public int Linq() => _linq.Earliest(EngineSetup.Clinic.Value, _from, _to, TimeProvider.System.GetUtcNow(), Count).Count;

    [Benchmark(Description = "Engine: FindEarliest")]
    public int Engine() => _engine.FindEarliest(_query).Count;

    private double BookedProbability(int dayIndex) => Pattern switch
    {
        BookingPattern.HalfBooked => 0.5,
        BookingPattern.MostlyBooked => 0.98,
        _ => dayIndex < 12 ? 1.0 : 0.5,
    };

    private void CheckSameAnswer()
    {
        var engine = _engine.FindEarliest(_query).Select(f => (f.Calendar.Provider.Value, f.Calendar.Day, f.Slots.First)).ToList();
        var linq = _linq.Earliest(EngineSetup.Clinic.Value, _from, _to, TimeProvider.System.GetUtcNow(), Count).Select(s => (s.Provider, s.Day, s.Index)).ToList();
        if (engine.Count != Count || !engine.SequenceEqual(linq))
        {
            throw new InvalidOperationException($"The engine and the LINQ peer disagree: engine [{string.Join(", ", engine)}], LINQ [{string.Join(", ", linq)}].");
        }
    }
}
