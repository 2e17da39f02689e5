using SlotEngine.LoadTest.Scenario;

namespace SlotEngine.LoadTest.Tests;

public class ScenarioTests
{
    private static readonly DateTimeOffset Start = new(2025, 3, 3, 10, 0, 0, TimeSpan.FromHours(3));

    [Fact]
    public void The_country_has_81_provinces_and_every_provider_sits_in_a_clinic_of_a_facility()
    {
        var map = NationalMap.Build(5_000, seed: 1);
        Assert.Equal(5_000, map.ProviderClinic.Length);
        Assert.Equal(5_000, map.ProvidersInCity.Sum());
        Assert.All(Enumerable.Range(1, 81), plate => Assert.True(map.ProvidersInCity[plate] >= 1));
        Assert.All(map.ProviderClinic, clinic => Assert.InRange(clinic, 0, map.ClinicFacility.Count - 1));
        Assert.All(map.ClinicFacility, facility => Assert.InRange(facility, 0, map.FacilityCity.Count - 1));
        Assert.All(map.BranchDemand, demand => Assert.NotEmpty(demand.Branches));
    }

    [Fact]
    public void Istanbul_is_the_largest_province_and_the_map_is_the_same_for_a_seed()
    {
        var a = NationalMap.Build(20_000, seed: 9);
        var b = NationalMap.Build(20_000, seed: 9);
        Assert.Equal(a.ProviderClinic, b.ProviderClinic);
        Assert.Equal(a.ProvidersInCity.Max(), a.ProvidersInCity[34]);
        Assert.InRange(a.ProvidersInCity[34] / 20_000.0, 0.15, 0.25);
    }

    [Fact]
    public void The_map_registers_with_an_engine()
    {
        var map = NationalMap.Build(500, seed: 3);
        var engine = new InMemorySlotEngine();
        map.Register(engine.Directory);
        Assert.Equal(500, engine.Directory.ProviderCount);
        Assert.Equal(new ClinicId(map.ProviderClinic[123]), engine.Directory.ClinicOf(new ProviderId(123)));
    }

    [Fact]
    public void Apportion_sums_to_the_total_and_respects_the_minimum()
    {
        var parts = NationalMap.Apportion(1_000, WeightedChoice.ZipfWeights(81, 1.0), minimum: 1);
        Assert.Equal(1_000, parts.Sum());
        Assert.All(parts, p => Assert.True(p >= 1));
        Assert.True(parts[0] > parts[80]);
    }

    [Fact]
    public void Zipf_choices_follow_their_weights()
    {
        var choice = new WeightedChoice(WeightedChoice.ZipfWeights(10, 1.0));
        var random = new FastRandom(5, 0);
        var counts = new int[10];
        const int Draws = 200_000;
        for (var i = 0; i < Draws; i++)
        {
            counts[choice.Next(ref random)]++;
        }

        for (var i = 0; i < 10; i++)
        {
            Assert.InRange(counts[i] / (double)Draws, choice.Probability(i) * 0.95, choice.Probability(i) * 1.05);
        }
    }

    [Fact]
    public void The_timeline_rushes_then_runs_through_the_day()
    {
        var timeline = new ScenarioTimeline(Start, 0.3, TimeSpan.FromMinutes(2), TimeSpan.FromHours(24));
        Assert.Equal(Start.UtcTicks, timeline.TicksAt(0));
        Assert.Equal(Start.AddMinutes(1).UtcTicks, timeline.TicksAt(0.15));
        Assert.Equal(Start.AddMinutes(2).UtcTicks, timeline.TicksAt(0.3));
        Assert.Equal(Start.AddHours(24).UtcTicks, timeline.TicksAt(1));
        Assert.Equal(Start.AddHours(24).UtcTicks, timeline.TicksAt(7));
        var previous = long.MinValue;
        for (var p = 0.0; p <= 1.0; p += 0.01)
        {
            var t = timeline.TicksAt(p);
            Assert.True(t >= previous);
            previous = t;
        }
    }

    [Fact]
    public void The_clock_only_moves_forward()
    {
        var clock = new ScenarioClock(Start);
        clock.AdvanceTo(Start.AddMinutes(5).UtcTicks);
        clock.AdvanceTo(Start.AddMinutes(1).UtcTicks);
        Assert.Equal(Start.AddMinutes(5), clock.GetUtcNow());
    }

    [Fact]
    public void Citizens_have_valid_national_ids_turned_into_distinct_keys()
    {
        var map = NationalMap.Build(200, seed: 1);
        var hasher = new PatientKeyHasher(new byte[32]);
        var pool = CitizenPool.Create(5_000, map, hasher, seed: 1);
        Assert.Equal(5_000, pool.Count);
        var random = new FastRandom(1, 0);
        var keys = new HashSet<PatientKey>();
        for (var i = 0; i < 2_000; i++)
        {
            var key = pool.Pick(34, ref random);
            Assert.False(key.IsDefault);
            keys.Add(key);
        }

        Assert.True(keys.Count > 100, "Istanbul's citizens are many and distinct");
    }
}
