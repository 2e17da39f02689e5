using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The sweep parks a calendar whose live holds are all bookings awaiting approval (their deadline is the evening before
/// their day) until the earliest of them, instead of visiting it on every pass (InMemorySlotEngine.SweepList.cs,
/// <c>TryPark</c>), and misses no hold because of it.
/// </summary>
public sealed class SweepParkingTests
{
    /// <summary>Three days after <see cref="TestWorld.Today"/>: its deadline is 20:00 local two days after today.</summary>
    private static readonly DateOnly Day = TestWorld.Today.AddDays(3);

    private static readonly DateTimeOffset Deadline = new(Day.AddDays(-1).ToDateTime(new TimeOnly(20, 0)), TestWorld.Istanbul);

    private readonly TestWorld _world = new(o => o.Approval = ApprovalPolicy.Mhrs);

    [Fact]
    public void A_calendar_left_with_unapproved_bookings_only_is_parked_and_released_at_their_deadline()
    {
        var key = _world.Publish(TestWorld.P1, Day);
        var unapproved = _world.MustBook(key, 0, 1, 1);
        Assert.Equal(Deadline, unapproved.HoldExpiresAt);
        var hold = _world.MustHold(key, 1, 1, 2, minutes: 5);

        // The plain hold keeps the calendar listed; once it is swept, only the unapproved booking is left: parked.
        Assert.Empty(_world.Engine.Sweep().ExpiredHolds);
        Assert.Equal(0, _world.Engine.ParkedCalendars);
        _world.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal([hold], _world.Engine.Sweep().ExpiredHolds);
        Assert.Equal(1, _world.Engine.ParkedCalendars);

        _world.Time.SetUtcNow(Deadline - TimeSpan.FromTicks(1));
        Assert.Empty(_world.Engine.Sweep().UnapprovedReleased);
        Assert.Equal(1, _world.Engine.ParkedCalendars);

        _world.Time.SetUtcNow(Deadline);
        var swept = _world.Engine.Sweep();
        Assert.Equal([unapproved with { HoldExpiresAt = null }], swept.UnapprovedReleased.Select(r => r with { HoldExpiresAt = null }));
        Assert.Equal(0, _world.Engine.ParkedCalendars);
        Assert.False(_world.Engine.Directory.GetProvider(key.Provider).GetCalendar(key.Day)!.HasHolds);
        Assert.Equal(1, _world.Engine.UnapprovedReleased);
        _world.AssertInvariants();
    }

    [Fact]
    public void A_hold_made_on_a_parked_calendar_is_swept_when_it_expires()
    {
        var key = _world.Publish(TestWorld.P1, Day);
        var unapproved = _world.MustBook(key, 0, 1, 1);
        _world.Engine.Sweep();
        Assert.Equal(1, _world.Engine.ParkedCalendars);

        var hold = _world.MustHold(key, 1, 1, 2, minutes: 5);
        _world.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal([hold], _world.Engine.Sweep().ExpiredHolds);

        // Approved meanwhile: at the parked instant the calendar is visited, has no hold, and leaves the park.
        Assert.True(_world.Engine.TryApprove(unapproved).Succeeded);
        _world.Time.SetUtcNow(Deadline);
        var swept = _world.Engine.Sweep();
        Assert.Empty(swept.UnapprovedReleased);
        Assert.Empty(swept.ExpiredHolds);
        Assert.Equal(0, _world.Engine.ParkedCalendars);
        Assert.Equal(SlotStatus.Booked, _world.Engine.GetCalendar(key)[0].Status);
        _world.AssertInvariants();
    }

    [Fact]
    public void A_calendar_with_a_hold_due_within_the_longest_hold_is_not_parked()
    {
        var key = _world.Publish(TestWorld.P1, Day);
        _world.MustBook(key, 0, 1, 1);
        _world.MustHold(key, 1, 1, 2, minutes: 20);
        _world.Engine.Sweep();
        Assert.Equal(0, _world.Engine.ParkedCalendars);
    }

    [Fact]
    public void A_random_run_with_approval_sweeps_what_a_walk_of_every_calendar_would()
    {
        // Model: holds, direct bookings (two or more days ahead: awaiting approval), approvals, releases, the clock moving
        // by minutes and now and then by hours (across three days' deadlines), and sweeps. After each sweep a walk of every open
        // calendar finds no expired hold or lapsed booking left, and the sweep reported only what was due.
        var world = new TestWorld(o =>
        {
            o.BookingHorizonDays = 60;
            o.Approval = ApprovalPolicy.Mhrs;
        });
        var days = new[] { TestWorld.Tomorrow, TestWorld.Today.AddDays(2), TestWorld.Today.AddDays(3), TestWorld.Today.AddDays(4), TestWorld.Today.AddDays(5), TestWorld.Today.AddDays(33) };
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3 };
        var keys = providers.SelectMany(p => days.Select(d => world.Publish(p, d))).ToArray();
        var random = new Random(29);
        var expiries = new Dictionary<Reservation, DateTimeOffset>();
        var removed = new List<RemovedClaim>();
        var parkedSeen = 0;
        var released = 0;
        var unapprovedSwept = 0;
        for (var step = 0; step < 3_000; step++)
        {
            var key = keys[random.Next(keys.Length)];
            var now = world.Time.GetUtcNow();
            switch (random.Next(9))
            {
                case 0:
                case 1:
                    var minutes = 1 + random.Next(15);
                    var hold = world.Hold(key, random.Next(48), 1, step, minutes);
                    if (hold.Succeeded)
                    {
                        expiries[hold.Reservation] = hold.Reservation.HoldExpiresAt!.Value;
                    }

                    break;
                case 2:
                case 3:
                    var booked = world.Book(key, random.Next(48), 1, step);
                    if (booked.Succeeded && booked.Reservation.HoldExpiresAt is { } deadline)
                    {
                        expiries[booked.Reservation] = deadline;
                    }

                    break;
                case 4 when expiries.Count > 0 && random.Next(4) == 0:
                    var approved = expiries.Keys.ElementAt(random.Next(expiries.Count));
                    if (world.Engine.TryApprove(approved).Succeeded)
                    {
                        expiries.Remove(approved);
                    }

                    break;
                case 5 when expiries.Count > 0 && random.Next(4) == 0:
                    var gone = expiries.Keys.ElementAt(random.Next(expiries.Count));
                    if (world.Engine.TryRelease(gone).Succeeded)
                    {
                        expiries.Remove(gone);
                    }

                    break;
                case 6:
                    world.Time.Advance(random.Next(10) == 0 ? TimeSpan.FromHours(1 + random.Next(3)) : TimeSpan.FromMinutes(random.Next(4)));
                    break;
                default:
                    var swept = world.Engine.Sweep();
                    unapprovedSwept += swept.UnapprovedReleased.Count;
                    parkedSeen = Math.Max(parkedSeen, world.Engine.ParkedCalendars);
                    foreach (var r in swept.ExpiredHolds.Concat(swept.UnapprovedReleased))
                    {
                        var match = expiries.Keys.FirstOrDefault(e => e.Calendar == r.Calendar && e.Token == r.Token);
                        Assert.True(!match.IsDefault && expiries[match] <= now, $"{r} swept before it was due");
                        expiries.Remove(match);
                        released++;
                    }

                    foreach (var k in keys)
                    {
                        removed.Clear();
                        world.Engine.Directory.GetProvider(k.Provider).GetCalendar(k.Day)?.ReclaimExpiredHolds(now.UtcTicks, removed);
                        Assert.True(removed.Count == 0, $"{k}: the sweep missed {removed.Count} expired hold(s) or lapsed booking(s)");
                    }

                    break;
            }
        }

        // The run parks calendars and crosses deadlines while they are parked (a sweep releases lapsed bookings): a park
        // held one day too long fails the walk above.
        Assert.True(parkedSeen > 0, "no calendar was ever parked: the test does not exercise parking");
        Assert.True(unapprovedSwept > 0, "no sweep released a lapsed booking: the test does not cross a deadline");
        Assert.True(released > 0);
        world.AssertInvariants();
    }

    [Fact]
    public void Holds_racing_sweeps_on_calendars_that_get_parked_are_all_reclaimed_by_a_later_sweep()
    {
        // Every calendar first gets a booking awaiting approval (deadline days away), so a sweep parks it whenever its plain
        // holds are gone; two threads then hold seats while a third sweeps without pause and the clock moves on. Whatever
        // the interleaving of a hold with the sweep that parks its calendar, one sweep after every plain hold has expired
        // (and before any deadline) leaves no expired hold, and one after the deadlines leaves no hold at all.
        var world = new TestWorld(o =>
        {
            o.BookingHorizonDays = 60;
            o.Approval = ApprovalPolicy.Mhrs;
        });
        var days = Enumerable.Range(2, 10).Select(TestWorld.Today.AddDays).ToArray();
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4, TestWorld.P5 };
        var keys = providers.SelectMany(p => days.Select(d => world.Publish(p, d))).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.NotNull(world.MustBook(keys[i], 47, 1, 10_000 + i).HoldExpiresAt);
        }

        var parkedSeen = 0;
        var held = HoldsWhileSweeping.Run(world, keys, slots: 47, () =>
        {
            world.Engine.Sweep();
            parkedSeen = Math.Max(parkedSeen, world.Engine.ParkedCalendars);
        });

        world.Time.Advance(TimeSpan.FromHours(1));
        world.Engine.Sweep();
        var now = world.Time.GetUtcNow().UtcTicks;
        var removed = new List<RemovedClaim>();
        Assert.True(held > 0);
        foreach (var key in keys)
        {
            var calendar = world.Engine.Directory.GetProvider(key.Provider).GetCalendar(key.Day)!;
            removed.Clear();
            calendar.ReclaimExpiredHolds(now, removed);
            Assert.True(removed.Count == 0, $"{key}: an expired hold was left after the last sweep");
            Assert.True(calendar.HasHolds, $"{key}: the booking awaiting approval is gone before its deadline");
        }

        Assert.True(parkedSeen > 0);

        // The first day's deadline (20:00 tomorrow): its five calendars are released by the next sweep, the others stay.
        world.Time.SetUtcNow(new DateTimeOffset(TestWorld.Tomorrow.ToDateTime(new TimeOnly(20, 0)), TestWorld.Istanbul));
        Assert.Equal(providers.Length, world.Engine.Sweep().UnapprovedReleased.Count);
        Assert.All(keys, k => Assert.Equal(k.Day != days[0], world.Engine.Directory.GetProvider(k.Provider).GetCalendar(k.Day)!.HasHolds));
        world.AssertInvariants();
    }
}
