using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Tests;

/// <summary>
/// The day index's earliest-hold-expiry mark (<see cref="BranchDayIndex.LowerHoldMark"/>): while now is before it, a
/// city + branch search passes held members without visiting their calendars. It must answer as a scan of the same
/// calendars does (where an expired hold reads free), whatever the holds' expiries, the clock's steps, and the paths that
/// make or extend a hold (holds of different lengths, unapproved bookings, confirms into approval, moves, two-seat slots).
/// </summary>
[Trait("Category", "Scan")]
public class HoldMarkTests
{
    private const int Providers = 70; // two index words per slot
    private static readonly CityCode City = new(6);
    private static readonly BranchId Branch = new(9);
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3));
    private static readonly DateOnly Day1 = new(2026, 11, 23);
    private static readonly DateOnly Day2 = Day1.AddDays(1);

    /// <summary>Day 2 (two days ahead) needs approval, by 10:00 on the first day (an hour after the start): its unapproved bookings lapse within a script.</summary>
    private static readonly ApprovalPolicy Approval = new(2, TimeSpan.FromHours(38));

    private static readonly DayTemplate TwoSeats = new([new Session(new TimeOnly(8, 0), new TimeOnly(12, 0)), new Session(new TimeOnly(13, 0), new TimeOnly(17, 0))], TimeSpan.FromMinutes(10), capacity: 2);

    /// <summary>A failure prints the seed to replay it: <c>[Property(Replay = "(seed1,seed2)")]</c>.</summary>
    [Property(MaxTest = 60)]
    public Property Index_with_the_hold_mark_and_scan_agree_across_holds_expiries_and_clock_steps() => Prop.ForAll(
        Gen.Choose(0, int.MaxValue).ToArbitrary(),
        Gen.Choose(20, 300).ToArbitrary(),
        (seed, steps) => RunScript(seed, steps));

    [Fact]
    public void The_mark_follows_the_earliest_hold_and_an_expired_hold_is_found_at_its_expiry()
    {
        var (engine, time, providers, booked) = World(seed: 1, bookedShare: 1.0);
        var index = engine.Directory.GroupOf(City, Branch)!.TryGetIndex(Day1)!;
        Assert.Equal(long.MaxValue, index.HoldMark); // every slot booked in setup: no hold yet

        var freed1 = engine.TryRelease(booked[(new CalendarKey(providers[3], Day1), 5)]);
        var freed2 = engine.TryRelease(booked[(new CalendarKey(providers[4], Day1), 6)]);
        var longHold = engine.TryClaim(ClaimRequest.Hold(new CalendarKey(providers[3], Day1), SlotRange.Single(5), new PatientKey(9_000_001), TimeSpan.FromMinutes(10)));
        var shortHold = engine.TryClaim(ClaimRequest.Hold(new CalendarKey(providers[4], Day1), SlotRange.Single(6), new PatientKey(9_000_002), TimeSpan.FromMinutes(1)));
        Assert.True(freed1.Succeeded && freed2.Succeeded && longHold.Succeeded && shortHold.Succeeded);

        // A later hold with an earlier expiry lowers the mark to its own.
        Assert.Equal(shortHold.Reservation.HoldExpiresAt!.Value.UtcTicks, index.HoldMark);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(time.GetUtcNow().UtcTicks < index.HoldMark); // the skip is on: both held members are passed over
        Assert.Empty(AgreeingSearch(engine, providers));

        time.Advance(TimeSpan.FromSeconds(1)); // now = the short hold's expiry: it reads free
        var found = AgreeingSearch(engine, providers);
        Assert.Equal([(providers[4], 6)], found.Select(f => (f.Calendar.Provider, f.Slots.First)));

        time.Advance(TimeSpan.FromMinutes(9));
        found = AgreeingSearch(engine, providers);
        Assert.Equal(2, found.Count);
        Assert.Null(engine.Directory.GroupOf(City, Branch)!.TryGetIndex(Day1)!.FindBitViolation());
        Support.TestWorld.AssertInvariants(engine);
    }

    [Fact]
    public void A_hold_made_before_its_day_is_indexed_lowers_the_mark_when_its_calendar_joins()
    {
        var time = new FakeTimeProvider(Start);
        var (engine, providers) = Engine(time);
        var hold = engine.TryClaim(ClaimRequest.Hold(new CalendarKey(providers[10], Day1), SlotRange.Single(0), new PatientKey(1), TimeSpan.FromMinutes(2)));
        Assert.True(hold.Succeeded);
        var group = engine.Directory.GroupOf(City, Branch)!;
        Assert.Null(group.TryGetIndex(Day1));

        // The first city + branch search makes the index; the calendar's bound (whole seconds, rounded down) lowers the mark.
        Assert.DoesNotContain(AgreeingSearch(engine, providers, count: 200), f => f.Calendar.Provider == providers[10] && f.Slots.First == 0);
        var mark = group.TryGetIndex(Day1)!.HoldMark;
        Assert.InRange(mark, time.GetUtcNow().UtcTicks + 1, hold.Reservation.HoldExpiresAt!.Value.UtcTicks);

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Contains(AgreeingSearch(engine, providers, count: 200), f => f.Calendar.Provider == providers[10] && f.Slots.First == 0);
    }

    [Fact]
    public void A_members_own_bound_follows_its_holds_is_raised_by_its_recount_and_survives_a_withdrawn_calendars_reset()
    {
        var (engine, time, providers, booked) = World(seed: 4, bookedShare: 1.0);
        var index = engine.Directory.GroupOf(City, Branch)!.TryGetIndex(Day1)!;
        var member = index.Members.ToArray().Select((m, i) => (m, i)).First(p => p.m.Id == providers[30]).i;
        var key = new CalendarKey(providers[30], Day1);
        Assert.Equal(long.MaxValue, index.MemberBound(member));

        // A one-minute hold lowers the member's bound; another member's ten-minute hold does not touch it.
        Assert.True(engine.TryRelease(booked[(key, 5)]).Succeeded);
        var shortHold = engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(5), new PatientKey(6_000_001), TimeSpan.FromMinutes(1)));
        var other = new CalendarKey(providers[31], Day1);
        Assert.True(engine.TryRelease(booked[(other, 5)]).Succeeded);
        Assert.True(engine.TryClaim(ClaimRequest.Hold(other, SlotRange.Single(5), new PatientKey(6_000_002), TimeSpan.FromMinutes(10))).Succeeded);
        Assert.True(shortHold.Succeeded);
        Assert.Equal(shortHold.Reservation.HoldExpiresAt!.Value.UtcTicks, index.MemberBound(member));

        // Confirmed: the bound stays low (it only falls) until the calendar's recount, which a search past it starts.
        Assert.True(engine.TryConfirm(shortHold.Reservation).Succeeded);
        time.Advance(TimeSpan.FromMinutes(2)); // the mark and the member's bound are due; the other member's hold is not
        Assert.Empty(AgreeingSearch(engine, providers, count: 200));
        Assert.Equal(long.MaxValue, index.MemberBound(member)); // recounted: no hold left

        // Withdrawn and published again: the successor's hold lowers the bound, and a reset by a scan of the withdrawn
        // calendar that read the index before its withdrawal (called here directly) lowers it again from the successor's bound.
        var withdrawn = index.Members[member].GetCalendar(Day1)!;
        engine.Withdraw(key);
        engine.Publish(providers[30], Day1, DayTemplate.Standard);
        for (var slot = 0; slot < 48; slot++)
        {
            Assert.True(slot == 9 || engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(slot), new PatientKey(6_100_000 + (ulong)slot))).Succeeded);
        }

        var successor = engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(9), new PatientKey(6_000_003), TimeSpan.FromMinutes(3)));
        Assert.True(successor.Succeeded);
        Assert.NotSame(withdrawn, index.Members[member].GetCalendar(Day1));
        index.ResetMemberBound(member, withdrawn);
        Assert.True(index.MemberBound(member) <= successor.Reservation.HoldExpiresAt!.Value.UtcTicks);
        Assert.Null(index.FindBitViolation());

        time.Advance(TimeSpan.FromMinutes(4)); // the successor's hold has expired: found through the index
        Assert.Contains(AgreeingSearch(engine, providers, count: 200), f => f.Calendar == key && f.Slots.First == 9);
        Support.TestWorld.AssertInvariants(engine);
    }

    [Fact]
    public void Unapproved_bookings_and_confirms_into_approval_are_found_once_their_deadline_passes()
    {
        var (engine, time, providers, booked) = World(seed: 2, bookedShare: 1.0);
        var key = new CalendarKey(providers[20], Day2);
        var index2 = engine.Directory.GroupOf(City, Branch)!.TryGetIndex(Day2)!;
        Assert.True(engine.TryRelease(booked[(key, 7)]).Succeeded);
        var unapproved = engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(7), new PatientKey(8_000_001)));
        Assert.True(unapproved.Succeeded);
        Assert.True(unapproved.Reservation.IsHold); // held until its deadline

        var other = new CalendarKey(providers[21], Day2);
        Assert.True(engine.TryRelease(booked[(other, 8)]).Succeeded);
        var hold = engine.TryClaim(ClaimRequest.Hold(other, SlotRange.Single(8), new PatientKey(8_000_002), TimeSpan.FromMinutes(5)));
        Assert.True(hold.Succeeded);
        Assert.True(engine.TryConfirm(hold.Reservation).Succeeded); // now an unapproved booking: its expiry moved to the deadline
        Assert.True(index2.HoldMark <= hold.Reservation.HoldExpiresAt!.Value.UtcTicks);

        time.Advance(TimeSpan.FromMinutes(6)); // the hold's own expiry passed, the deadline (10:00) has not: still taken
        Assert.DoesNotContain(AgreeingSearch(engine, providers, day: Day2, count: 200), f => f.Calendar == other);
        time.Advance(TimeSpan.FromMinutes(55)); // 10:01: both lapsed
        var found = AgreeingSearch(engine, providers, day: Day2, count: 200);
        Assert.Contains(found, f => f.Calendar == key && f.Slots.First == 7);
        Assert.Contains(found, f => f.Calendar == other && f.Slots.First == 8);
        Support.TestWorld.AssertInvariants(engine);
    }

    [Fact]
    public void An_expired_plain_hold_beside_unapproved_bookings_is_found_before_their_deadline()
    {
        var (engine, time, providers, booked) = World(seed: 3, bookedShare: 1.0);
        var index2 = engine.Directory.GroupOf(City, Branch)!.TryGetIndex(Day2)!;

        // Slot 9 of three members: one seat an unapproved booking, the other booked (awaiting: passed over until 10:00);
        // on the third, the second seat is a one-minute plain hold instead (held: visited once the mark is due).
        var awaiting = new List<Reservation>();
        foreach (var member in new[] { 10, 11, 12 })
        {
            var key = new CalendarKey(providers[member], Day2);
            Assert.True(engine.TryRelease(booked[(key, 9)]).Succeeded);
            var claim = member == 12
                ? engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(9), new PatientKey(7_000_000 + (ulong)member), TimeSpan.FromMinutes(1)))
                : engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(9), new PatientKey(7_000_000 + (ulong)member)));
            Assert.True(claim.Succeeded);
            awaiting.Add(claim.Reservation);
        }

        var plainHold = awaiting[^1];
        Assert.Null(index2.FindBitViolation());
        Assert.Empty(AgreeingSearch(engine, providers, day: Day2, count: 200));

        // 09:02: the plain hold has expired, the unapproved bookings have not (the mark is due: every search looks past it).
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(time.GetUtcNow().UtcTicks >= index2.HoldMark);
        var found = AgreeingSearch(engine, providers, day: Day2, count: 200);
        Assert.Equal([(plainHold.Calendar, 9)], found.Select(f => (f.Calendar, f.Slots.First)));

        // Approving one (booked: no longer on offer) and letting the deadline pass frees the other.
        Assert.True(engine.TryApprove(awaiting[0]).Succeeded);
        Assert.Null(index2.FindBitViolation());
        time.Advance(TimeSpan.FromMinutes(59)); // 10:01
        found = AgreeingSearch(engine, providers, day: Day2, count: 200);
        var expected = new[] { awaiting[1].Calendar, plainHold.Calendar }.OrderBy(c => c.Provider.Value).Select(c => (c, 9));
        Assert.Equal(expected, found.Select(f => (f.Calendar, f.Slots.First)));
        Assert.Null(index2.FindBitViolation());
        Support.TestWorld.AssertInvariants(engine);
    }

    /// <summary>
    /// Holds with short and long expiries, releases, confirms and searches race on most members of a branch while a clock
    /// thread moves time on; a checker thread owns a few members (each with only its first slot open) and checks, as it
    /// goes, that a hold it made is never found while the clock is before its expiry and is always found once the clock
    /// has passed it. At the end: no seat booked twice, index and scan agree, and the index bits are exact. With approval,
    /// the days after day 1 need it (their deadlines fall after the run): bookings and confirms there make unapproved
    /// bookings, which the index passes over while the mark is due, so a wrong held bit would hide the checker's expired hold.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Racing_holds_expiries_releases_and_searches_never_hide_an_expired_hold_nor_book_a_seat_twice(bool approval)
    {
        var time = new FakeTimeProvider(Start);
        var (engine, providers) = Engine(time, approval);
        var ownedCount = 4;
        var owned = providers[..ownedCount];
        var shared = providers[ownedCount..];

        // Rounds on fresh days (day 1, then days 3 to 7, one seat a slot): each day's index starts with no mark, so every
        // round races holds, searches that pass held members by the mark, and the first expiries that bring it down.
        var rounds = new[] { Day1 }.Concat(Enumerable.Range(2, 5).Select(d => Day1.AddDays(d))).ToArray();
        var round = 0;
        var patient = 1UL;
        foreach (var day in rounds.Skip(1))
        {
            foreach (var provider in providers)
            {
                engine.Publish(provider, day, DayTemplate.Standard);
            }
        }

        foreach (var day in rounds)
        {
            foreach (var provider in owned)
            {
                for (var slot = 1; slot < 48; slot++)
                {
                    Assert.True(engine.TryClaim(ClaimRequest.Book(new CalendarKey(provider, day), SlotRange.Single(slot), new PatientKey(patient++))).Succeeded);
                }
            }
        }
        var workers = Math.Max(3, Environment.ProcessorCount);
        var done = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var bookings = new List<Reservation>[workers];
        var checks = new int[2];
        using var barrier = new Barrier(workers + 2);
        var clockGate = new object(); // the checker holds it while it judges, so that the clock thread cannot move time then
        var threads = new List<Thread>();
        for (var t = 0; t < workers; t++)
        {
            var me = t;
            bookings[me] = [];
            threads.Add(new Thread(() =>
            {
                var random = new Random(me);
                var mine = new List<Reservation>();
                barrier.SignalAndWait();
                for (var i = 0; i < 6_000; i++)
                {
                    var day = rounds[Volatile.Read(ref round)];
                    var key = new CalendarKey(shared[random.Next(shared.Length)], day);
                    var roll = random.Next(10);
                    if (roll < 4)
                    {
                        var who = new PatientKey((ulong)(((me + 1) * 1_000_000) + i));
                        var request = roll < 3
                            ? ClaimRequest.Hold(key, SlotRange.Single(random.Next(48)), who, TimeSpan.FromSeconds(1 + random.Next(180)))
                            : ClaimRequest.Book(key, SlotRange.Single(random.Next(48)), who);
                        var result = engine.TryClaim(request);
                        if (result.Succeeded)
                        {
                            mine.Add(result.Reservation);
                        }
                    }
                    else if (roll < 6 && mine.Count > 0)
                    {
                        var at = random.Next(mine.Count);
                        engine.TryRelease(mine[at]);
                        mine.RemoveAt(at);
                    }
                    else if (roll == 6 && mine.Count > 0)
                    {
                        var at = random.Next(mine.Count);
                        var confirmed = engine.TryConfirm(mine[at]);
                        if (confirmed.Succeeded)
                        {
                            mine[at] = confirmed.Reservation;
                        }
                    }
                    else
                    {
                        engine.FindEarliest(EarliestQuery.ForCityBranch(City, Branch, day, day, 1, 3));
                    }
                }

                bookings[me] = mine;
            }));
        }

        // The clock: small steps until the workers are done (at most a few hours: the day stays ahead).
        threads.Add(new Thread(() =>
        {
            var random = new Random(-1);
            barrier.SignalAndWait();
            while (Volatile.Read(ref done) < workers && time.GetUtcNow() < Start.AddHours(6))
            {
                lock (clockGate)
                {
                    time.Advance(TimeSpan.FromMilliseconds(random.Next(2_000)));
                }

                Thread.Yield();
            }
        }));

        // The checker: owns the first slot of a few members; nothing else claims there.
        threads.Add(new Thread(() =>
        {
            var random = new Random(-2);
            var checkerPatient = 50_000_000UL;
            barrier.SignalAndWait();
            for (var i = 0; i < 1_500 && failures.IsEmpty; i++)
            {
                Volatile.Write(ref round, i * rounds.Length / 1_500);
                var day = rounds[i * rounds.Length / 1_500];
                var provider = owned[i % owned.Length];
                var key = new CalendarKey(provider, day);
                var hold = engine.TryClaim(ClaimRequest.Hold(key, SlotRange.Single(0), new PatientKey(checkerPatient++), TimeSpan.FromSeconds(1 + random.Next(30))));
                if (!hold.Succeeded)
                {
                    failures.Enqueue($"check {i}: the checker's own slot {key} 0 was not free: {hold.Status}");
                    return;
                }

                var expiry = hold.Reservation.HoldExpiresAt!.Value.UtcTicks;
                var seen = false;
                lock (clockGate)
                {
                    if (time.GetUtcNow().UtcTicks < expiry && Found(engine, provider, day))
                    {
                        failures.Enqueue($"check {i}: {key} 0 was found while its hold was live");
                    }

                    if (engine.Directory.GroupOf(City, Branch)!.TryGetIndex(day) is { } index && time.GetUtcNow().UtcTicks < index.HoldMark)
                    {
                        Interlocked.Increment(ref checks[0]); // a check made while the search passed held members by the mark
                    }
                    switch (random.Next(4))
                    {
                        case 0 when !engine.TryRelease(hold.Reservation).Succeeded && time.GetUtcNow().UtcTicks < expiry:
                            failures.Enqueue($"check {i}: the checker's live hold on {key} 0 could not be released");
                            return;
                        case 0:
                            break;
                        case 1 when engine.TryConfirm(hold.Reservation) is { Succeeded: true } confirmed:
                            if (!engine.TryRelease(confirmed.Reservation).Succeeded)
                            {
                                failures.Enqueue($"check {i}: the checker's booking on {key} 0 could not be cancelled");
                                return;
                            }

                            break;
                        default:
                            var wait = expiry - time.GetUtcNow().UtcTicks;
                            if (wait > 0)
                            {
                                time.Advance(TimeSpan.FromTicks(wait));
                            }

                            break;
                    }

                    // Released, or the clock has passed its expiry: the seat is free and a search must find it. Another worker's
                    // search may be reclaiming the expired hold right now (a transition in progress reads as taken), so the
                    // search is repeated a bounded number of times with the clock held still: a seat hidden by a wrong mark
                    // would stay hidden through every repeat.
                    for (var attempt = 0; attempt < 10_000 && !seen; attempt++)
                    {
                        seen = Found(engine, provider, day);
                        if (!seen)
                        {
                            Thread.Yield();
                        }
                    }
                }

                if (!seen)
                {
                    failures.Enqueue($"check {i}: {key} 0 was free (hold released or expired at {new DateTimeOffset(expiry, TimeSpan.Zero):O}, now {time.GetUtcNow():O}) but the search did not find it");
                }

                Interlocked.Increment(ref checks[1]);
            }
        }));

        foreach (var thread in threads)
        {
            thread.Start();
        }

        for (var t = 0; t < workers; t++)
        {
            threads[t].Join();
        }

        Volatile.Write(ref done, workers);
        threads[workers].Join();
        threads[workers + 1].Join();
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
        Assert.True(checks[1] > 100, $"only {checks[1]} checks ran");
        Assert.True(checks[0] > 0, "no check ran while the mark was ahead of the clock");

        // No seat booked twice: every booking a worker still has is its own and names a seat no other one names. An
        // unapproved booking is held until its deadline (a day or more after the start; a plain hold here lives minutes).
        bool IsBooking(Reservation r) => !r.IsHold || r.HoldExpiresAt > Start.AddDays(1);
        var live = bookings.SelectMany(b => b).Where(IsBooking).ToList();
        Assert.True(live.Count > 50, $"only {live.Count} bookings were left: the stress did not stress");
        var seats = live.SelectMany(r => Enumerable.Range(r.Slots.First, r.Slots.Length).Select(s => (r.Calendar, r.Seat, s))).ToList();
        Assert.Equal(seats.Count, seats.Distinct().Count());
        Support.TestWorld.AssertInvariants(engine);
        foreach (var booking in live)
        {
            var seat = engine.GetCalendar(booking.Calendar)[booking.Slots.First, booking.Seat];
            Assert.Equal((booking.IsHold ? SlotStatus.Held : SlotStatus.Booked, booking.Token), (seat.Status, seat.Token));
        }

        // Quiet: index and scan agree now and once every hold has expired; the index bits are the calendars' truth.
        foreach (var day in rounds)
        {
            AgreeingSearch(engine, providers, day, count: 200);
        }

        time.Advance(TimeSpan.FromHours(1));
        foreach (var day in rounds)
        {
            AgreeingSearch(engine, providers, day, count: 200);
            Assert.Null(engine.Directory.GroupOf(City, Branch)!.TryGetIndex(day)!.FindBitViolation());
        }

        Support.TestWorld.AssertInvariants(engine);
    }

    /// <summary>Whether a city + branch search (wide enough to hold every member at the first slot) finds the provider's slot 0.</summary>
    private static bool Found(InMemorySlotEngine engine, ProviderId provider, DateOnly day) =>
        engine.FindEarliest(EarliestQuery.ForCityBranch(City, Branch, day, day, 1, 200)).Any(f => f.Calendar.Provider == provider && f.Slots.First == 0);

    private static bool RunScript(int seed, int steps)
    {
        var (engine, time, providers, _) = World(seed, bookedShare: 0.7);
        var random = new Random(seed);
        var live = new List<Reservation>();
        for (var step = 0; step < steps; step++)
        {
            var day = random.Next(2) == 0 ? Day1 : Day2;
            var key = new CalendarKey(providers[random.Next(providers.Length)], day);
            var patient = new PatientKey((ulong)random.Next(1, 5_000));
            var first = random.Next(48);
            var range = new SlotRange(first, first is 23 or 47 ? 1 : 1 + random.Next(2)); // never across the lunch break
            switch (random.Next(10))
            {
                case 0 or 1 or 2:
                    // Holds of very different lengths: a later, shorter one must lower the mark.
                    var ttl = TimeSpan.FromSeconds(random.Next(3) switch { 0 => 1 + random.Next(30), 1 => 1 + random.Next(300), _ => 1 + random.Next(1_800) });
                    Keep(live, engine.TryClaim(ClaimRequest.Hold(key, range, patient, ttl)));
                    break;
                case 3:
                    Keep(live, engine.TryClaim(ClaimRequest.Book(key, range, patient))); // on day 2: unapproved, held to 10:00
                    break;
                case 4 when live.Count > 0:
                    var at = random.Next(live.Count);
                    engine.TryRelease(live[at]);
                    live.RemoveAt(at);
                    break;
                case 5 when live.Count > 0:
                    var which = random.Next(live.Count);
                    var confirmed = random.Next(2) == 0 ? engine.TryConfirm(live[which]) : engine.TryApprove(live[which]);
                    if (confirmed.Succeeded)
                    {
                        live[which] = confirmed.Reservation;
                    }

                    break;
                case 6 when live.Count > 0:
                    var moving = random.Next(live.Count);
                    var target = random.Next(2) == 0
                        ? ClaimRequest.Hold(key, range, live[moving].Patient, TimeSpan.FromSeconds(1 + random.Next(600)))
                        : ClaimRequest.Book(key, range, live[moving].Patient);
                    var moved = engine.TryReschedule(live[moving], target);
                    if (moved.Succeeded)
                    {
                        live[moving] = moved.Reservation;
                    }

                    break;
                case 7:
                    AgreeingSearch(engine, providers, day: day, count: 1 + random.Next(30));
                    break;
                default:
                    time.Advance(TimeSpan.FromSeconds(random.Next(3) switch { 0 => random.Next(5), 1 => random.Next(120), _ => random.Next(900) }));
                    break;
            }
        }

        foreach (var day in new[] { Day1, Day2 })
        {
            AgreeingSearch(engine, providers, day: day, count: 200);

            // Quiet: the offer, free and held bits are the calendars' truth (an unapproved booking's slot is not held).
            Assert.Null(engine.Directory.GroupOf(City, Branch)!.TryGetIndex(day)!.FindBitViolation());
        }

        Support.TestWorld.AssertInvariants(engine);
        return true;
    }

    private static void Keep(List<Reservation> live, ClaimResult result)
    {
        if (result.Succeeded)
        {
            live.Add(result.Reservation);
        }
    }

    /// <summary>The city + branch search (through the index, first) and the same search by provider list (a scan), asserted equal.</summary>
    private static IReadOnlyList<FreeStart> AgreeingSearch(InMemorySlotEngine engine, ProviderId[] providers, DateOnly? day = null, int count = 25)
    {
        var on = day ?? Day1;
        var byIndex = engine.FindEarliest(EarliestQuery.ForCityBranch(City, Branch, on, on, 1, count));
        var byScan = engine.FindEarliest(EarliestQuery.ForProviders(providers, on, on, 1, count));
        Assert.Equal(byScan, byIndex);
        return byIndex;
    }

    /// <summary>70 providers of one branch in one city (ids out of order), day 1 with one seat a slot, day 2 with two.</summary>
    private static (InMemorySlotEngine Engine, ProviderId[] Providers) Engine(FakeTimeProvider time, bool approval = true)
    {
        var engine = new InMemorySlotEngine(new SlotEngineOptions { TimeProvider = time, Quotas = QuotaPolicy.None, Approval = approval ? Approval : ApprovalPolicy.None });
        engine.Directory.AddFacility(new FacilityId(1), City);
        engine.Directory.AddClinic(new ClinicId(1), new FacilityId(1), Branch);
        var providers = Enumerable.Range(0, Providers).Select(i => new ProviderId(((i * 37) % Providers) + 100)).ToArray();
        foreach (var provider in providers)
        {
            engine.Directory.AddProvider(provider, new ClinicId(1));
            engine.Publish(provider, Day1, DayTemplate.Standard);
            engine.Publish(provider, Day2, TwoSeats);
        }

        return (engine, providers);
    }

    /// <summary><see cref="Engine"/> with a share of every seat booked (approved, on day 2) and both days' indexes made.</summary>
    private static (InMemorySlotEngine Engine, FakeTimeProvider Time, ProviderId[] Providers, Dictionary<(CalendarKey, int), Reservation> Booked) World(int seed, double bookedShare)
    {
        var time = new FakeTimeProvider(Start);
        var (engine, providers) = Engine(time);
        var random = new Random(seed);
        var patient = 1UL;
        var booked = new Dictionary<(CalendarKey, int), Reservation>();
        foreach (var provider in providers)
        {
            foreach (var (day, seats) in new[] { (Day1, 1), (Day2, 2) })
            {
                for (var slot = 0; slot < 48; slot++)
                {
                    for (var seat = 0; seat < seats; seat++)
                    {
                        if (random.NextDouble() >= bookedShare)
                        {
                            continue;
                        }

                        var key = new CalendarKey(provider, day);
                        var result = engine.TryClaim(ClaimRequest.Book(key, SlotRange.Single(slot), new PatientKey(patient++)));
                        Assert.True(result.Succeeded, result.ToString());
                        if (result.Reservation.IsHold)
                        {
                            result = engine.TryApprove(result.Reservation);
                            Assert.True(result.Succeeded, result.ToString());
                        }

                        booked[(key, slot)] = result.Reservation;
                    }
                }
            }
        }

        foreach (var day in new[] { Day1, Day2 })
        {
            engine.FindEarliest(EarliestQuery.ForCityBranch(City, Branch, day, day));
            Assert.NotNull(engine.Directory.GroupOf(City, Branch)!.TryGetIndex(day));
        }

        return (engine, time, providers, booked);
    }
}
