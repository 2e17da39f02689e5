using FsCheck;
using FsCheck.Fluent;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The quota ledger's per-day tables (<see cref="KeyTable"/> per day and scope): dropped whole when
/// the day has passed, made up front when the engine is told how many claims a day expects, and
/// never losing a kept day's entries to a drop that races the claims.
/// </summary>
public class QuotaLedgerTests
{
    [Fact]
    public void A_sweep_drops_the_tables_of_past_days_whole_and_keeps_the_others()
    {
        var world = new TestWorld();
        var near = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var far = world.Publish(TestWorld.P1, TestWorld.Today.AddDays(5));
        world.MustBook(near, 0, 1, patient: 0);
        world.MustBook(far, 0, 1, patient: 0);
        world.MustBook(far, 1, 1, patient: 1);
        var ledger = world.Engine.QuotaLedger;
        Assert.Equal(2, ledger.Days);
        Assert.Equal(2, ledger.KeysOn(near.Day)); // clinic and facility of patient 0
        Assert.Equal(4, ledger.KeysOn(far.Day));

        world.Time.Advance(TimeSpan.FromDays(2)); // `near` is yesterday now
        world.Engine.SweepExpiredHolds();
        Assert.Equal(1, ledger.Days);
        Assert.Equal(0, ledger.KeysOn(near.Day));
        Assert.Equal(4, ledger.KeysOn(far.Day));

        // The kept day's entries still count: one booking per clinic per day.
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Book(world.Publish(TestWorld.P2, far.Day), 3, 1, patient: 0).Status);
        Assert.True(world.Book(world.Publish(TestWorld.P2, far.Day), 4, 1, patient: 2).Succeeded);
    }

    [Fact]
    public void A_claim_that_reaches_the_ledger_after_its_day_was_dropped_is_refused()
    {
        var world = new TestWorld();
        var near = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        world.MustBook(near, 0, 1, patient: 0);
        var ledger = world.Engine.QuotaLedger;
        var provider = world.Engine.Directory.GetProvider(TestWorld.P1);
        var patient = world.Engine.Patients.IndexOf(world.Patient(0));
        var beforeMidnight = world.Time.GetUtcNow().UtcTicks;
        Assert.False(ledger.HasPassed(near.Day));

        // A claim that read the clock before its day passed meets the ledger after a sweep dropped the day's tables:
        // fresh tables would have empty entries and pass the limit the dropped ones had used. It is refused instead.
        ledger.Purge(near.Day.AddDays(1));
        Assert.True(ledger.HasPassed(near.Day));
        Assert.False(ledger.TryAcquire(world.Engine.Options.Quotas, patient, provider, near.Day, beforeMidnight, out var tickets));
        Assert.Equal(0, tickets.Count);
        Assert.Equal(0, ledger.KeysOn(near.Day));

        // A clock stepping back does not reopen it; later days are untouched.
        ledger.Purge(near.Day);
        Assert.True(ledger.HasPassed(near.Day));
        Assert.False(ledger.HasPassed(near.Day.AddDays(1)));
    }

    [Fact]
    public void Expected_claims_per_day_make_the_tables_when_the_day_is_published()
    {
        var world = new TestWorld(o => o.ExpectedClaimsPerDay = 100_000);
        var ledger = world.Engine.QuotaLedger;
        Assert.Equal(0, ledger.Days);
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        Assert.Equal(1, ledger.Days);
        Assert.Equal(0, ledger.KeysOn(calendar.Day));
        world.MustBook(calendar, 0, 1, patient: 0);
        Assert.Equal(2, ledger.KeysOn(calendar.Day));
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Book(calendar, 1, 1, patient: 0).Status);
    }

    [Fact]
    public void Expected_patients_size_the_directory_up_front()
    {
        var small = new TestWorld();
        var large = new TestWorld(o => o.ExpectedPatients = 1_000_000);
        Assert.Equal(1L << 16, small.Engine.Patients.Capacity);
        Assert.True(large.Engine.Patients.Capacity >= 1_500_000, large.Engine.Patients.Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var calendar = large.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var booking = large.MustBook(calendar, 0, 1, patient: 0);
        Assert.Equal(large.Patient(0), large.Engine.GetCalendar(calendar)[0].Owner);
        Assert.Equal(booking.Patient, large.Patient(0));
    }

    [Fact]
    public void A_day_prepared_for_its_rush_has_its_tables_before_it_is_published()
    {
        var world = new TestWorld();
        world.Engine.PrepareDay(TestWorld.Tomorrow, DayTemplate.Standard, expectedClaims: 200_000);
        Assert.Equal(1, world.Engine.QuotaLedger.Days);
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        world.MustHold(calendar, 0, 1, patient: 0);
        Assert.Equal(2, world.Engine.QuotaLedger.KeysOn(calendar.Day));
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Hold(calendar, 1, 1, patient: 0).Status);
        Assert.Throws<ArgumentOutOfRangeException>(() => world.Engine.PrepareDay(TestWorld.Tomorrow, DayTemplate.Standard, -1));
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(100_000_001, 0)]
    [InlineData(0, 50_000_001)]
    public void Expected_sizes_out_of_range_are_refused(int patients, int claims)
    {
        var options = new SlotEngineOptions { ExpectedPatients = patients, ExpectedClaimsPerDay = claims };
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new InMemorySlotEngine(options));
        Assert.Contains(patients != 0 ? "ExpectedPatients" : "ExpectedClaimsPerDay", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Claims_racing_a_sweeper_that_drops_days_never_pass_a_quota(int apart)
    {
        // Books only (nothing is released), so every success stays live: per patient, day and clinic
        // at most one success, per facility at most two, whatever the sweeper dropped meanwhile. With `apart` 64 the
        // days come in pairs 64 days apart, which share a place of the ledger's recent-days array (QuotaLedger._recent):
        // the near day of a pair is dropped while claims on the far one, sharing its place, go on.
        var world = new TestWorld(o =>
        {
            o.BookingHorizonDays = 30 + apart;
            o.MaxOpenDaysPerProvider = 64 + apart;
        });
        var days = Enumerable.Range(1, 4).Select(d => TestWorld.Today.AddDays(d))
            .Concat(apart == 0 ? [] : Enumerable.Range(1, 4).Select(d => TestWorld.Today.AddDays(d + apart)))
            .ToArray();
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4 };
        var where = new Dictionary<ProviderId, (int Clinic, int Facility)> { [TestWorld.P1] = (10, 1), [TestWorld.P2] = (10, 1), [TestWorld.P3] = (11, 1), [TestWorld.P4] = (20, 2) };
        foreach (var provider in providers)
        {
            foreach (var day in days)
            {
                world.Publish(provider, day, TestWorld.Wide);
            }
        }

        var threads = Math.Max(4, Environment.ProcessorCount);
        var successes = new List<Reservation>[threads];
        var done = 0;
        var claimsMade = 0;
        using var barrier = new Barrier(threads + 1);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var mine = new List<Reservation>();
            barrier.SignalAndWait();
            for (var i = 0; i < 20_000; i++)
            {
                var calendar = new CalendarKey(providers[random.Next(providers.Length)], days[random.Next(days.Length)]);
                var result = world.Book(calendar, random.Next(144), 1, patient: random.Next(40));
                Interlocked.Increment(ref claimsMade);
                if (result.Succeeded)
                {
                    mine.Add(result.Reservation);
                }
            }

            successes[t] = mine;
            Interlocked.Increment(ref done);
        })).ToList();
        var sweeper = new Thread(() =>
        {
            barrier.SignalAndWait();
            var next = 0;
            while (Volatile.Read(ref done) < threads)
            {
                // Three hours per 1,000 claims made: the days pass (and are dropped) while claims run, in step with
                // the claims whatever the threads' speeds (a free-running clock passed every day before most claims).
                if (Volatile.Read(ref claimsMade) < next)
                {
                    Thread.Yield();
                    continue;
                }

                next += 1_000;
                world.Time.Advance(TimeSpan.FromHours(3));
                world.Engine.SweepExpiredHolds();
                Thread.Yield();
            }
        });
        workers.ForEach(w => w.Start());
        sweeper.Start();
        workers.ForEach(w => w.Join());
        sweeper.Join();

        var all = successes.SelectMany(s => s).ToList();
        Assert.True(all.Count > 100, $"only {all.Count} bookings succeeded");
        Assert.True(world.Engine.QuotaLedger.Days < days.Length, "no day was dropped while the claims ran");
        Assert.True(all.Any(r => r.Calendar.Day == days[^1]), "no claim on the last day succeeded");
        foreach (var group in all.GroupBy(r => (r.Patient, r.Calendar.Day)))
        {
            Assert.All(group.GroupBy(r => where[r.Calendar.Provider].Clinic), g => Assert.Single(g));
            Assert.All(group.GroupBy(r => where[r.Calendar.Provider].Facility), g => Assert.InRange(g.Count(), 1, 2));
        }
    }

    [Fact]
    public void Claimers_racing_for_entries_that_name_a_released_claim_never_pass_a_limit()
    {
        // Each round: patient r books and releases on P1, so the clinic's and the facility's entries of that day both name
        // the dead claim (the case an acquire answers once for both scopes: QuotaLedger.TryTakeEntry's knownDead). Then
        // threads race to book for the same patient and day on P1 and P2 (clinic 10) and P3 (clinic 11), all in facility 1:
        // at most one success per clinic, at most two in the facility.
        var world = new TestWorld(o => o.BookingHorizonDays = 30);
        var days = Enumerable.Range(1, 3).Select(d => TestWorld.Today.AddDays(d)).ToArray();
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P3 };
        foreach (var provider in providers.Distinct())
        {
            foreach (var day in days)
            {
                world.Publish(provider, day, TestWorld.Wide);
            }
        }

        const int Rounds = 180; // 60 a day: slots r (P1, P2) and 2r, 2r + 1 (P3) of a round's day stay free for it
        var threads = providers.Length;
        for (var round = 0; round < Rounds; round++)
        {
            var day = days[round % days.Length];
            var patient = round / days.Length;
            var first = world.MustBook(new CalendarKey(TestWorld.P1, day), 140, 1, patient);
            Assert.True(world.Engine.TryRelease(first).Succeeded);
            var results = new ClaimResult[threads];
            using var barrier = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                barrier.SignalAndWait();
                results[t] = world.Book(new CalendarKey(providers[t], day), t < 2 ? patient : (2 * patient) + t - 2, 1, patient);
            })).ToList();
            workers.ForEach(w => w.Start());
            workers.ForEach(w => w.Join());

            var won = Enumerable.Range(0, threads).Where(t => results[t].Succeeded).ToList();
            Assert.All(Enumerable.Range(0, threads), t => Assert.Contains(results[t].Status, new[] { ClaimStatus.Succeeded, ClaimStatus.QuotaExceeded }));
            Assert.NotEmpty(won);
            Assert.True(won.Count(t => t < 2) <= 1, $"round {round}: two bookings in clinic 10");
            Assert.True(won.Count(t => t >= 2) <= 1, $"round {round}: two bookings in clinic 11");
            Assert.True(won.Count <= 2, $"round {round}: three bookings in facility 1");
        }

        world.AssertInvariants();
    }

    [Fact]
    public void Days_sharing_a_place_of_the_recent_days_keep_their_own_quotas_against_a_model()
    {
        var property = Prop.ForAll(
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            Gen.Choose(20, 400).ToArbitrary(),
            (seed, steps) => RunQuotaScript(seed, steps));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), property);
    }

    /// <summary>
    /// Books and releases at random on days that share places of the ledger's recent-days array (days 64 and 128 apart)
    /// and lets days pass (a sweep drops their tables); every claim's status must be the model's: QuotaExceeded when the
    /// patient has a live booking in the clinic (limit 1) or two in the facility (limit 2) that day, else Taken when the
    /// seat is booked, else Succeeded. A day's tables found in another day's place would count the other day's bookings.
    /// </summary>
    private static bool RunQuotaScript(int seed, int steps)
    {
        var random = new Random(seed);
        var world = new TestWorld(o =>
        {
            o.BookingHorizonDays = 140;
            o.MaxOpenDaysPerProvider = 160;
        });
        var days = new[] { 1, 3, 65, 67, 129, 131 }.Select(d => TestWorld.Today.AddDays(d)).ToArray();
        var providers = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4 };
        var where = new Dictionary<ProviderId, (int Clinic, int Facility)> { [TestWorld.P1] = (10, 1), [TestWorld.P2] = (10, 1), [TestWorld.P3] = (11, 1), [TestWorld.P4] = (20, 2) };
        foreach (var provider in providers)
        {
            foreach (var day in days)
            {
                world.Publish(provider, day);
            }
        }

        var live = new List<(Reservation Reservation, int Patient)>();
        var passed = 0; // days[..passed] have passed (the clock is past them, the sweep dropped them)
        for (var step = 0; step < steps; step++)
        {
            var roll = random.Next(100);
            if (roll < 60)
            {
                var provider = providers[random.Next(providers.Length)];
                var dayIndex = passed + random.Next(days.Length - passed);
                var day = days[dayIndex];
                var slot = random.Next(8);
                var patient = random.Next(4);
                var sameDay = live.Where(l => l.Patient == patient && l.Reservation.Calendar.Day == day).ToList();
                var expected =
                    sameDay.Count(l => where[l.Reservation.Calendar.Provider].Clinic == where[provider].Clinic) >= 1
                    || sameDay.Count(l => where[l.Reservation.Calendar.Provider].Facility == where[provider].Facility) >= 2
                        ? ClaimStatus.QuotaExceeded
                        : live.Any(l => l.Reservation.Calendar == new CalendarKey(provider, day) && l.Reservation.Slots.First == slot)
                            ? ClaimStatus.Taken
                            : ClaimStatus.Succeeded;
                var result = world.Book(new CalendarKey(provider, day), slot, 1, patient);
                Assert.Equal(expected, result.Status);
                if (result.Succeeded)
                {
                    live.Add((result.Reservation, patient));
                }
            }
            else if (roll < 90 && live.Count > 0)
            {
                var at = random.Next(live.Count);
                Assert.True(world.Engine.TryRelease(live[at].Reservation).Succeeded);
                live.RemoveAt(at);
            }
            else if (roll >= 98 && passed < 2)
            {
                // The first near day passes, then the second: their tables are dropped while the days 64 and 128 later,
                // which share their places, keep theirs.
                world.Time.Advance(TimeSpan.FromDays(2));
                world.Engine.SweepExpiredHolds();
                passed++;
                live.RemoveAll(l => l.Reservation.Calendar.Day < days[passed]);
                Assert.True(world.Engine.QuotaLedger.HasPassed(days[passed - 1]));
            }
        }

        world.AssertInvariants();
        return true;
    }
}
