using FsCheck;
using FsCheck.Fluent;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The flat (provider, day) → calendar table (<see cref="CalendarTable"/>): it mirrors the providers' rings exactly (publish,
/// withdraw, a past day's place reused, a provider registered after a day's array was made, days dropped by the sweep),
/// against a model of which days are open; and under threads that publish, withdraw, look up and drop days at once, no
/// lookup ever returns another day's or another provider's calendar, and a reader never sees a calendar come back.
/// </summary>
public sealed class CalendarTableTests
{
    private static readonly ProviderId Late = new(40);

    [Fact]
    public void A_claim_finds_its_calendar_through_the_table_and_a_past_day_through_the_ring()
    {
        var world = new TestWorld();
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var table = world.Engine.Directory.Calendars;
        Assert.True(table.TryGet(TestWorld.P1.Value, key.Day.DayNumber, out var found));
        Assert.Same(world.Engine.Directory.GetProvider(TestWorld.P1).RingCalendar(key.Day), found);
        Assert.True(table.TryGet(TestWorld.P2.Value, key.Day.DayNumber, out var none));
        Assert.Null(none);
        world.MustBook(key, 3, 1, 0);

        // The day passes: the sweep drops its array; the ring still answers for it.
        world.Time.Advance(TimeSpan.FromDays(2));
        world.Engine.SweepExpiredHolds();
        Assert.False(table.TryGet(TestWorld.P1.Value, key.Day.DayNumber, out _));
        Assert.Equal(0, table.Days);
        Assert.Equal(SlotStatus.Booked, world.Engine.GetCalendar(key)[3].Status);
    }

    [Fact]
    public void The_table_mirrors_the_rings_against_a_model()
    {
        var property = Prop.ForAll(
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            Gen.Choose(20, 300).ToArbitrary(),
            (seed, steps) => RunScript(seed, steps));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), property);
    }

    /// <summary>
    /// Publishes and withdraws days at random for five providers (and one registered mid-script, after day arrays exist,
    /// so the table has no place for it), on rings of at most 8 days so that past days' places are reused, and lets days
    /// pass (the sweep drops their arrays). After every step, for every provider and day: the engine's lookup is the ring's
    /// answer; the table, when it answers, answers the same; and for every day not yet past, a calendar is open exactly when
    /// the model says so.
    /// </summary>
    private static bool RunScript(int seed, int steps)
    {
        var random = new Random(seed);
        var world = new TestWorld(o =>
        {
            o.BookingHorizonDays = 30;
            o.MaxOpenDaysPerProvider = 8;
        });
        var providers = new List<ProviderId> { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4, TestWorld.P5 };
        var open = new HashSet<(ProviderId, DateOnly)>();
        var directory = world.Engine.Directory;
        for (var step = 0; step < steps; step++)
        {
            var roll = random.Next(100);
            var today = DateOnly.FromDateTime(world.Time.GetUtcNow().ToOffset(TestWorld.Istanbul).DateTime);
            var provider = providers[random.Next(providers.Count)];
            var day = today.AddDays(random.Next(1, 12));
            if (roll < 55)
            {
                try
                {
                    world.Publish(provider, day);
                    open.Add((provider, day));
                }
                catch (SlotEngineArgumentException e) when (e.Code == SlotEngineError.TooManyOpenDays)
                {
                    // Another open day is in its ring's place: refused, nothing changed (the model agrees: not open).
                    Assert.DoesNotContain((provider, day), open);
                }
            }
            else if (roll < 85)
            {
                if (open.Remove((provider, day)))
                {
                    world.Engine.Withdraw(new CalendarKey(provider, day));
                }
            }
            else if (roll < 95)
            {
                world.Time.Advance(TimeSpan.FromDays(random.Next(1, 3)));
                world.Engine.SweepExpiredHolds();
            }
            else if (!providers.Contains(Late))
            {
                directory.AddProvider(Late, TestWorld.C10);
                providers.Add(Late);
            }

            today = DateOnly.FromDateTime(world.Time.GetUtcNow().ToOffset(TestWorld.Istanbul).DateTime);
            foreach (var p in providers)
            {
                var entry = directory.GetProvider(p);
                for (var d = today.AddDays(-4); d <= today.AddDays(14); d = d.AddDays(1))
                {
                    var ring = entry.RingCalendar(d);
                    Assert.Same(ring, entry.GetCalendar(d));
                    if (directory.Calendars.TryGet(p.Value, d.DayNumber, out var fromTable))
                    {
                        Assert.Same(ring, fromTable);
                        Assert.True(d >= today, "a past day's array was dropped by the sweep that saw it pass");
                    }

                    if (d >= today)
                    {
                        Assert.Equal(open.Contains((p, d)), ring is not null);
                    }
                }
            }
        }

        return true;
    }

    [Fact]
    public async Task Lookups_racing_publishes_withdrawals_and_drops_see_only_their_own_calendar_once()
    {
        var world = new TestWorld(o => o.BookingHorizonDays = 60);
        var engine = world.Engine;
        var table = engine.Directory.Calendars;
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4, TestWorld.P5 };
        var first = TestWorld.Tomorrow;
        const int Days = 40;
        for (var round = 0; round < 6; round++)
        {
            using var stop = new CancellationTokenSource();
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var writers = providers.Select(p => Task.Run(() =>
            {
                // Each provider's days, published then withdrawn, in turn: a (provider, day) is open once, then never again.
                for (var d = 0; d < Days; d++)
                {
                    engine.Publish(p, first.AddDays(d), DayTemplate.Standard);
                    if (d >= 4)
                    {
                        engine.Withdraw(new CalendarKey(p, first.AddDays(d - 4)));
                    }
                }
            })).ToArray();
            var dropper = Task.Run(() =>
            {
                // Drops the arrays of the first days while they are looked up and withdrawn (lookups then go to the rings).
                for (var d = 0; d < Days / 2 && !stop.IsCancellationRequested; d += 2)
                {
                    table.PurgeBefore(first.AddDays(d));
                    Thread.Yield();
                }
            });
            var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
            {
                // Per (provider, day) what this reader saw: 0 not yet, 1 a calendar, 2 gone after one. Never back, never two calendars.
                var seen = new Calendar?[providers.Length, Days];
                var state = new int[providers.Length, Days];
                while (!stop.IsCancellationRequested)
                {
                    for (var p = 0; p < providers.Length; p++)
                    {
                        var entry = engine.Directory.GetProvider(providers[p]);
                        for (var d = 0; d < Days; d++)
                        {
                            var day = first.AddDays(d);
                            var calendar = entry.GetCalendar(day);
                            if (calendar is not null && (calendar.Day != day || calendar.Provider.Id != providers[p]))
                            {
                                failures.Enqueue($"{providers[p]} {day}: found {calendar.Key}");
                            }

                            if (calendar is null)
                            {
                                if (state[p, d] == 1)
                                {
                                    state[p, d] = 2;
                                }
                            }
                            else if (state[p, d] == 0)
                            {
                                state[p, d] = 1;
                                seen[p, d] = calendar;
                            }
                            else if (state[p, d] == 2 || !ReferenceEquals(seen[p, d], calendar))
                            {
                                failures.Enqueue($"{providers[p]} {day}: a calendar seen again after it was gone, or another one");
                            }
                        }
                    }
                }
            })).ToArray();

            await Task.WhenAll(writers);
            await stop.CancelAsync();
            await Task.WhenAll([dropper, .. readers]);
            Assert.Empty(failures);

            // Quiet: every lookup is the ring's, and the table answers the same where it answers.
            foreach (var p in providers)
            {
                var entry = engine.Directory.GetProvider(p);
                for (var d = 0; d < Days; d++)
                {
                    var day = first.AddDays(d);
                    var ring = entry.RingCalendar(day);
                    Assert.Equal(d >= Days - 4, ring is not null);
                    Assert.Same(ring, entry.GetCalendar(day));
                    if (table.TryGet(p.Value, day.DayNumber, out var fromTable))
                    {
                        Assert.Same(ring, fromTable);
                    }

                    if (ring is not null)
                    {
                        engine.Withdraw(new CalendarKey(p, day));
                    }
                }
            }

            first = first.AddDays(Days);
        }
    }
}
