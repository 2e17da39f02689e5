using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

[Trait("Category", "Scan")]
public class QueryTests
{
    private static readonly DateOnly D1 = TestWorld.Tomorrow;
    private static readonly DateOnly D2 = TestWorld.Today.AddDays(2);
    private readonly TestWorld _world = new();

    [Fact]
    public void Calendar_snapshot_shows_every_state_with_owner_token_and_expiry()
    {
        var key = _world.Publish(TestWorld.P1, D1);
        var hold = _world.MustHold(key, 1, 1, 0, minutes: 9);
        var booking = _world.MustBook(key, 2, 1, 1);
        _world.Engine.Block(key, new SlotRange(3, 1));
        var snapshot = _world.Engine.GetCalendar(key);
        Assert.Equal(key, snapshot.Key);
        Assert.Equal(DayTemplate.Standard, snapshot.Template);
        Assert.Equal(new SeatView(SlotStatus.Free, default, 0, null), snapshot[0]);
        Assert.Equal(new SeatView(SlotStatus.Held, _world.Patient(0), hold.Token, TestWorld.Start.AddMinutes(9)), snapshot[1]);
        Assert.Equal(new SeatView(SlotStatus.Booked, _world.Patient(1), booking.Token, null), snapshot[2]);
        Assert.Equal(new SeatView(SlotStatus.Closed, default, 0, null), snapshot[3]);
        Assert.Equal(TestWorld.At(D1, 8, 0), snapshot.StartOf(0));
        Assert.Equal(TestWorld.At(D1, 13, 0), snapshot.StartOf(24));
        Assert.Equal(45, snapshot.FreeSeatCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => snapshot[48]);
        Assert.Throws<ArgumentOutOfRangeException>(() => snapshot[0, 1]);
    }

    [Fact]
    public void Snapshot_version_moves_with_every_transition_only()
    {
        var key = _world.Publish(TestWorld.P1, D1);
        var v0 = _world.Engine.GetCalendar(key).Version;
        Assert.Equal(v0, _world.Engine.GetCalendar(key).Version);
        var hold = _world.MustHold(key, 1, 1, 0);
        var v1 = _world.Engine.GetCalendar(key).Version;
        Assert.True(v1 > v0);
        _world.Engine.TryConfirm(hold);
        Assert.True(_world.Engine.GetCalendar(key).Version > v1);
    }

    [Fact]
    public void Free_counts_per_day_over_a_range()
    {
        _world.Publish(TestWorld.P1, D1);
        var d2 = _world.Publish(TestWorld.P1, D2);
        _world.MustBook(d2, 0, 3, 0);
        _world.MustHold(d2, 10, 2, 1, minutes: 5);
        Assert.Equal(
            [new DayFreeCount(D1, 48, 48), new DayFreeCount(D2, 43, 48)],
            _world.Engine.GetFreeCounts(TestWorld.P1, TestWorld.Today, TestWorld.Today.AddDays(5)));
        _world.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(45, _world.Engine.GetFreeCounts(TestWorld.P1, D2, D2)[0].FreeSeats);
        Assert.Empty(_world.Engine.GetFreeCounts(TestWorld.P2, D1, D2));
    }

    [Fact]
    public void Earliest_by_clinic_orders_by_start_then_provider()
    {
        _world.Publish(TestWorld.P2, D1);
        var p1 = _world.Publish(TestWorld.P1, D1);
        _world.Publish(TestWorld.P3, D1); // other clinic
        _world.MustBook(p1, 0, 1, 0);
        var found = _world.Engine.FindEarliest(EarliestQuery.ForClinic(TestWorld.C10, D1, D2, 1, 4).WithStartsPerCalendar(2));
        Assert.Equal(
            [(2, 0), (1, 1), (2, 1), (1, 2)],
            found.Select(f => (f.Calendar.Provider.Value, f.Slots.First)));
        Assert.Equal(TestWorld.At(D1, 8, 0), found[0].Start);
        Assert.Equal(new SlotRange(0, 1), found[0].Slots);
    }

    [Fact]
    public void Earliest_with_one_start_per_calendar_spreads_over_providers_and_days()
    {
        _world.Publish(TestWorld.P1, D1);
        _world.Publish(TestWorld.P2, D1);
        _world.Publish(TestWorld.P1, D2);
        var found = _world.Engine.FindEarliest(EarliestQuery.ForClinic(TestWorld.C10, D1, D2, 1, 10));
        Assert.Equal(
            [new CalendarKey(TestWorld.P1, D1), new CalendarKey(TestWorld.P2, D1), new CalendarKey(TestWorld.P1, D2)],
            found.Select(f => f.Calendar));
        Assert.All(found, f => Assert.Equal(0, f.Slots.First));
    }

    [Fact]
    public void Earliest_by_city_and_branch_covers_every_clinic_of_the_branch_in_the_city()
    {
        foreach (var p in new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4, TestWorld.P5 })
        {
            _world.Publish(p, D1);
        }

        var found = _world.Engine.FindEarliest(EarliestQuery.ForCityBranch(TestWorld.Istanbul34, TestWorld.Branch5, D1, D1, 1, 10));
        Assert.Equal([1, 2, 4], found.Select(f => f.Calendar.Provider.Value));
        Assert.Empty(_world.Engine.FindEarliest(EarliestQuery.ForCityBranch(new CityCode(1), TestWorld.Branch5, D1, D1)));
    }

    [Fact]
    public void Earliest_for_k_consecutive_slots_skips_short_gaps_and_session_ends()
    {
        var p1 = _world.Publish(TestWorld.P1, D1);
        var p2 = _world.Publish(TestWorld.P2, D1, TestWorld.Wide);
        _world.MustBook(p1, 3, 1, 0); // P1 free: 0-2, 4-23 | 24-47
        _world.MustBook(p2, 2, 60, 1); // P2 free: 0-1, 62-143 (07:00, 07:05, then 12:10 on)
        var query = EarliestQuery.ForProviders([TestWorld.P1, TestWorld.P2], D1, D1, 4, 6).WithStartsPerCalendar(3);
        var found = _world.Engine.FindEarliest(query).Select(f => (f.Calendar.Provider.Value, f.Slots.First)).ToArray();
        Assert.Equal([(1, 4), (1, 5), (1, 6), (2, 62), (2, 63), (2, 64)], found);

        var late = _world.Engine.FindEarliest(EarliestQuery.ForProviders([TestWorld.P1], D1, D1, 4, 100).WithStartsPerCalendar(100));
        Assert.DoesNotContain(late, f => f.Slots.First is > 20 and < 24);
        Assert.Equal(44, late[^1].Slots.First);
        Assert.Equal(17 + 21, late.Count);
    }

    [Fact]
    public void Earliest_finds_runs_that_cross_word_boundaries()
    {
        var key = _world.Publish(TestWorld.P2, D1, TestWorld.Wide);
        _world.MustBook(key, 0, 60, 0);
        _world.MustBook(key, 66, 58, 1);
        _world.MustBook(key, 126, 18, 2);
        var q = EarliestQuery.ForProviders([TestWorld.P2], D1, D1, 6, 5).WithStartsPerCalendar(5);
        Assert.Equal([60], _world.Engine.FindEarliest(q).Select(f => f.Slots.First));
        var q2 = EarliestQuery.ForProviders([TestWorld.P2], D1, D1, 2, 5).WithStartsPerCalendar(5);
        Assert.Equal([60, 61, 62, 63, 64], _world.Engine.FindEarliest(q2).Select(f => f.Slots.First));
        var q3 = EarliestQuery.ForProviders([TestWorld.P2], D1, D1, 2, 10).WithStartsPerCalendar(10);
        Assert.Equal([60, 61, 62, 63, 64, 124], _world.Engine.FindEarliest(q3).Select(f => f.Slots.First));
    }

    [Fact]
    public void Earliest_count_caps_the_results_and_a_full_calendar_is_skipped()
    {
        var p1 = _world.Publish(TestWorld.P1, D1, TestWorld.Template(10, 1, "08:00-08:20"));
        _world.Publish(TestWorld.P2, D1);
        _world.MustBook(p1, 0, 2, 0);
        var found = _world.Engine.FindEarliest(EarliestQuery.ForClinic(TestWorld.C10, D1, D1, 1, 2).WithStartsPerCalendar(5));
        Assert.Equal([(2, 0), (2, 1)], found.Select(f => (f.Calendar.Provider.Value, f.Slots.First)));
    }

    [Fact]
    public void An_expired_hold_is_offered_again()
    {
        var key = _world.Publish(TestWorld.P1, D1);
        _world.MustHold(key, 0, 1, 0, minutes: 5);
        var q = EarliestQuery.ForClinic(TestWorld.C10, D1, D1);
        Assert.Equal(1, _world.Engine.FindEarliest(q)[0].Slots.First);
        _world.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(0, _world.Engine.FindEarliest(q)[0].Slots.First);
    }

    [Fact]
    public void Free_counts_and_earliest_agree_with_a_brute_force_scan_of_random_calendars()
    {
        var random = new Random(7);
        var world = new TestWorld(o => o.Quotas = QuotaPolicy.None);
        var templates = new[] { TestWorld.Wide, DayTemplate.Standard, TestWorld.Template(15, 3, "08:00-12:00", "13:00-17:00"), TestWorld.Template(5, 2, "07:00-12:25", "13:00-18:00") };
        for (var round = 0; round < 40; round++)
        {
            var template = templates[round % templates.Length];
            var provider = new ProviderId(100 + round);
            world.Engine.Directory.AddProvider(provider, TestWorld.C30);
            var key = world.Publish(provider, D1, template);
            for (var i = 0; i < 60; i++)
            {
                var first = random.Next(template.SlotCount);
                var session = template.SessionOf(first);
                var length = Math.Min(random.Next(1, 9), template.EndSlotOfSession(session) - first);
                if (random.Next(4) == 0)
                {
                    world.Engine.Block(key, new SlotRange(first, length));
                }
                else
                {
                    world.Book(key, first, length, i);
                }
            }

            var snapshot = world.Engine.GetCalendar(key);
            Assert.Equal(snapshot.FreeSeatCount, world.Engine.GetFreeCounts(provider, D1, D1)[0].FreeSeats);
            for (var k = 1; k <= 12; k += 3)
            {
                var expected = BruteForceStarts(snapshot, k).Take(300).ToArray();
                var query = EarliestQuery.ForProviders([provider], D1, D1, k, 300).WithStartsPerCalendar(300);
                Assert.Equal(expected, world.Engine.FindEarliest(query).Select(f => f.Slots.First));
            }
        }
    }

    private static IEnumerable<int> BruteForceStarts(CalendarSnapshot snapshot, int k)
    {
        var t = snapshot.Template;
        for (var s = 0; s + k <= t.SlotCount; s++)
        {
            if (t.SessionOf(s) != t.SessionOf(s + k - 1))
            {
                continue;
            }

            for (var seat = 0; seat < t.Capacity; seat++)
            {
                if (Enumerable.Range(s, k).All(x => snapshot[x, seat].Status == SlotStatus.Free))
                {
                    yield return s;
                    break;
                }
            }
        }
    }
}
