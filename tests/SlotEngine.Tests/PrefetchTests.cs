using FsCheck;
using FsCheck.Fluent;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The claim path's prefetch hints (<see cref="Prefetch"/>: <see cref="KeyTable.PrefetchHome"/>, the directory's, the patient
/// directory's, the quota ledger's and the calendar's): they read nothing that matters and change nothing, at any edge
/// (absent keys, later segments, unknown providers, days without tables, slots out of range).
/// </summary>
public class PrefetchTests
{
    [Fact]
    public void Prefetching_homes_between_operations_changes_no_answer_of_a_key_table()
    {
        var property = Prop.ForAll(
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            Gen.Choose(1, 1_000).ToArbitrary(),
            (seed, steps) =>
            {
                // A first segment of 64 places, so that keys spill into later segments and both prefetched homes differ.
                var table = new KeyTable(firstBits: 6, payloadLength: 1, growthBits: 1);
                var model = new Dictionary<ulong, long>();
                var random = new Random(seed);
                for (var step = 0; step < steps; step++)
                {
                    var key = (ulong)random.Next(1, 400) * 0x9E37_79B9UL;
                    table.PrefetchHome(key);
                    table.PrefetchHome(key + 1); // a key that is never inserted
                    if (random.Next(3) == 0)
                    {
                        var address = table.Find(key, out _);
                        Assert.Equal(model.TryGetValue(key, out var known) ? known : -1, address);
                    }
                    else
                    {
                        var address = table.GetOrAdd(key, out _);
                        Assert.Equal(model.TryAdd(key, address) ? address : model[key], address);
                    }
                }

                Assert.Equal(model.Count, table.Count);
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), property);
    }

    [Fact]
    public void Engine_hints_at_every_edge_throw_nothing_and_make_nothing()
    {
        var world = new TestWorld();
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var engine = world.Engine;

        foreach (var provider in new[] { TestWorld.P1, TestWorld.P5, new ProviderId(-1), new ProviderId(ProviderId.MaxValue), new ProviderId(int.MaxValue) })
        {
            engine.Directory.Prefetch(provider);
        }

        engine.Patients.Prefetch(default);
        engine.Patients.Prefetch(world.Patient(1));
        Assert.Equal(0, engine.Patients.Count);

        // A day without tables (nothing claimed yet, none prepared for this policy) is left alone: no table is made.
        var days = engine.QuotaLedger.Days;
        engine.QuotaLedger.Prefetch(QuotaPolicy.Mhrs, world.Patient(1), TestWorld.P1, TestWorld.Today.AddDays(9));
        engine.QuotaLedger.Prefetch(QuotaPolicy.None, world.Patient(1), TestWorld.P1, TestWorld.Tomorrow);
        foreach (var provider in new[] { TestWorld.P5, new ProviderId(-1), new ProviderId(int.MaxValue) })
        {
            engine.QuotaLedger.Prefetch(QuotaPolicy.Mhrs, world.Patient(1), provider, TestWorld.Tomorrow);
        }
        Assert.Equal(days, engine.QuotaLedger.Days);

        var calendar = engine.RequireCalendarForStore(key);
        foreach (var slot in new[] { -1, 0, calendar.SlotCount - 1, calendar.SlotCount, int.MaxValue, int.MinValue })
        {
            calendar.PrefetchClaim(slot);
        }

        // And the day books as before.
        world.MustBook(key, 0, 1, patient: 1);
        engine.QuotaLedger.Prefetch(QuotaPolicy.Mhrs, world.Patient(1), TestWorld.P1, TestWorld.Tomorrow);
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Book(key, 1, 1, patient: 1).Status);
    }
}
