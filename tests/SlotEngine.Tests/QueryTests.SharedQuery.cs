using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// A city + branch query remembers the group it found (<c>EarliestQuery.CachedGroup</c>), so that a search of the same engine
/// does not look it up again: one query object searched on two engines must still answer each from its own directory, and a
/// query that found no group must find one registered later.
/// </summary>
[Trait("Category", "Scan")]
public class SharedQueryTests
{
    private static readonly DateOnly D1 = TestWorld.Tomorrow;

    [Fact]
    public void One_query_object_answers_from_each_engines_own_group()
    {
        var a = new TestWorld();
        var b = new TestWorld();
        a.Publish(TestWorld.P1, D1);
        a.Publish(TestWorld.P2, D1);
        b.Publish(TestWorld.P4, D1);
        var query = EarliestQuery.ForCityBranch(TestWorld.Istanbul34, TestWorld.Branch5, D1, D1, length: 1, count: 3);
        for (var round = 0; round < 2; round++)
        {
            // One start per calendar: A's two providers of the branch in the city, B's one.
            Assert.Equal([TestWorld.P1, TestWorld.P2], a.Engine.FindEarliest(query).Select(s => s.Calendar.Provider));
            Assert.Equal([TestWorld.P4], b.Engine.FindEarliest(query).Select(s => s.Calendar.Provider));
        }
    }

    [Fact]
    public void A_query_that_found_no_group_finds_one_registered_later()
    {
        var world = new TestWorld();
        var city = new CityCode(7);
        var branch = new BranchId(9);
        var query = EarliestQuery.ForCityBranch(city, branch, D1, D1, length: 1, count: 2);
        Assert.Empty(world.Engine.FindEarliest(query));

        world.Engine.Directory.AddFacility(new FacilityId(70), city);
        world.Engine.Directory.AddClinic(new ClinicId(70), new FacilityId(70), branch);
        world.Engine.Directory.AddProvider(new ProviderId(70), new ClinicId(70));
        world.Publish(new ProviderId(70), D1);
        Assert.Equal([new CalendarKey(new ProviderId(70), D1)], world.Engine.FindEarliest(query).Select(s => s.Calendar));
    }

    [Fact]
    public void A_query_that_remembers_one_days_index_still_reads_the_next_days()
    {
        var world = new TestWorld();
        var d2 = D1.AddDays(1);
        var first = world.Publish(TestWorld.P1, D1);
        world.Publish(TestWorld.P1, d2);
        var query = EarliestQuery.ForCityBranch(TestWorld.Istanbul34, TestWorld.Branch5, D1, d2, length: 1, count: 2);
        Assert.Equal([first, new CalendarKey(TestWorld.P1, d2)], world.Engine.FindEarliest(query).Select(s => s.Calendar));

        // The first day full: the remembered index (the second day's, read last) is not the first day's, and the first
        // day's says nothing is free there, so both days are read again.
        world.Engine.Block(first, new SlotRange(0, 48));
        Assert.Equal([new FreeStart(new CalendarKey(TestWorld.P1, d2), new SlotRange(0, 1), TestWorld.At(d2, 8, 0))], world.Engine.FindEarliest(query));
        Assert.Equal([new FreeStart(new CalendarKey(TestWorld.P1, d2), new SlotRange(0, 1), TestWorld.At(d2, 8, 0))], world.Engine.FindEarliest(query));
    }

    [Fact]
    public void One_query_object_searched_on_two_engines_from_many_threads_answers_each_from_its_own()
    {
        var a = new TestWorld();
        var b = new TestWorld();
        var d2 = D1.AddDays(1);
        a.Publish(TestWorld.P1, D1);
        a.Publish(TestWorld.P2, d2);
        b.Publish(TestWorld.P4, d2);
        var query = EarliestQuery.ForCityBranch(TestWorld.Istanbul34, TestWorld.Branch5, D1, d2, length: 1, count: 2);
        var expectedA = a.Engine.FindEarliest(query).ToArray();
        var expectedB = b.Engine.FindEarliest(query).ToArray();
        Assert.Equal([new CalendarKey(TestWorld.P1, D1), new CalendarKey(TestWorld.P2, d2)], expectedA.Select(s => s.Calendar));
        Assert.Equal([new CalendarKey(TestWorld.P4, d2)], expectedB.Select(s => s.Calendar));

        // The query's remembered group and index flip between the engines and days all the time; no answer may mix them.
        var threads = Math.Max(4, Environment.ProcessorCount);
        using var barrier = new Barrier(threads);
        var wrong = 0;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var places = new FreeStart[2];
            barrier.SignalAndWait();
            for (var i = 0; i < 20_000; i++)
            {
                var onA = ((i + t) & 1) == 0;
                var found = (onA ? a : b).Engine.FindEarliest(query, places);
                if (!places.AsSpan(0, found).SequenceEqual(onA ? expectedA : expectedB))
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        Assert.Equal(0, wrong);
    }
}
