using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The cap's entries kept current by every path that ends a claim (release, cancel, confirm, move, block, withdraw), so a
/// full patient whose claims are bookings is judged without reading their calendars: the cap's count must equal a plain
/// model's after every step, and a claim must be refused exactly when the model's patient is full.
/// </summary>
public sealed class ActiveCapLifecycleTests
{
    private static readonly TimeSpan HoldTime = TimeSpan.FromMinutes(10);

    [Property(MaxTest = 200)]
    public bool The_cap_counts_exactly_the_models_live_claims_through_every_transition(int seed, byte capSeed) =>
        CapFollowsTheModel(seed, capSeed, approval: false);

    /// <summary>
    /// As above with MHRS approval on, on days far enough ahead that bookings await approval: the cap trusts an entry of
    /// a booking awaiting approval until its day's deadline (<c>ActiveLedger</c>'s awaiting bit), so approvals, confirms that
    /// leave a hold awaiting approval, and time passing the deadlines (16-hour steps) are in the mix.
    /// </summary>
    [Property(MaxTest = 200)]
    public bool The_cap_counts_exactly_the_models_live_claims_with_approval_and_deadlines(int seed, byte capSeed) =>
        CapFollowsTheModel(seed, capSeed, approval: true);

    private static bool CapFollowsTheModel(int seed, byte capSeed, bool approval)
    {
        var cap = (capSeed % 3) + 1;
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = cap;
            o.Quotas = QuotaPolicy.None;
            o.Approval = approval ? ApprovalPolicy.Mhrs : ApprovalPolicy.None;
        });
        var engine = world.Engine;
        var days = approval
            ? new[] { TestWorld.Tomorrow.AddDays(1), TestWorld.Tomorrow.AddDays(2) } // booked now: awaiting approval
            : new[] { TestWorld.Tomorrow, TestWorld.Tomorrow.AddDays(1) };
        foreach (var day in days)
        {
            engine.Publish(TestWorld.P1, day, TestWorld.Wide);
        }

        var random = new Random(seed);
        var live = new List<Reservation>();
        var closed = new HashSet<(CalendarKey, int)>();
        for (var step = 0; step < 60; step++)
        {
            var now = world.Time.GetUtcNow();
            live.RemoveAll(r => (r.HoldExpiresAt is { } e && e <= now) || r.Calendar.Day < engine.Today);
            var calendar = new CalendarKey(TestWorld.P1, days[random.Next(2)]);
            var slot = random.Next(12);
            bool Free(CalendarKey c, int s) =>
                engine.Rules.IsInBookingWindow(c.Day, engine.Today)
                && TestWorld.At(c.Day, 7).AddMinutes(5 * s) > now
                && !closed.Contains((c, s))
                && !live.Any(r => r.Calendar == c && r.Slots.First == s);

            switch (random.Next(12))
            {
                case < 4:
                    {
                        var patient = world.Patient(random.Next(3));
                        var request = random.Next(2) == 0
                            ? ClaimRequest.Hold(calendar, SlotRange.Single(slot), patient, HoldTime)
                            : ClaimRequest.Book(calendar, SlotRange.Single(slot), patient);
                        var free = Free(calendar, slot);
                        var below = live.Count(r => r.Patient == patient) < cap;
                        var result = engine.TryClaim(request);
                        if (free && !below ? result.Status != ClaimStatus.ActiveLimitReached : result.Succeeded != free)
                        {
                            return false;
                        }

                        if (result.Succeeded)
                        {
                            live.Add(result.Reservation);
                        }

                        break;
                    }

                case 4 when live.Count > 0:
                    {
                        var i = random.Next(live.Count);
                        var result = engine.TryConfirm(live[i]);
                        if (!result.Succeeded || (result.Reservation.HoldExpiresAt is not null && !approval))
                        {
                            return false;
                        }

                        live[i] = result.Reservation;
                        break;
                    }

                case 5 when live.Count > 0:
                    {
                        var i = random.Next(live.Count);
                        var result = random.Next(2) == 0 ? engine.TryRelease(live[i]) : engine.TryCancel(live[i], CancelActor.Administrator);
                        if (!result.Succeeded)
                        {
                            return false;
                        }

                        live.RemoveAt(i);
                        break;
                    }

                case 6:
                    if (closed.Remove((calendar, slot)))
                    {
                        engine.Reopen(calendar, SlotRange.Single(slot));
                    }
                    else
                    {
                        var displaced = engine.Block(calendar, SlotRange.Single(slot)).Displaced.Count;
                        if (displaced != live.RemoveAll(r => r.Calendar == calendar && r.Slots.First == slot))
                        {
                            return false;
                        }

                        closed.Add((calendar, slot));
                    }

                    break;
                case 7 when live.Count > 0:
                    {
                        var i = random.Next(live.Count);
                        var free = Free(calendar, slot);
                        var result = engine.TryReschedule(live[i], ClaimRequest.Book(calendar, SlotRange.Single(slot), live[i].Patient));
                        if (result.Succeeded != free)
                        {
                            return false;
                        }

                        if (result.Succeeded)
                        {
                            live[i] = result.Reservation;
                        }

                        break;
                    }

                case 8 when random.Next(4) == 0:
                    {
                        var displaced = engine.Withdraw(calendar).Displaced.Count;
                        if (displaced != live.RemoveAll(r => r.Calendar == calendar))
                        {
                            return false;
                        }

                        closed.RemoveWhere(c => c.Item1 == calendar);
                        engine.Publish(calendar.Provider, calendar.Day, TestWorld.Wide);
                        break;
                    }

                case 9:
                    world.Time.Advance(TimeSpan.FromMinutes(random.Next(2) == 0 ? 7 : 300));
                    break;
                case 10 when approval && live.Count > 0:
                    {
                        var i = random.Next(live.Count);
                        var result = engine.TryApprove(live[i]);
                        if (!result.Succeeded || result.Reservation.HoldExpiresAt is not null)
                        {
                            return false;
                        }

                        live[i] = result.Reservation;
                        break;
                    }

                case 11 when approval && random.Next(3) == 0:
                    world.Time.Advance(TimeSpan.FromHours(16)); // past a day's 20:00 deadline within a few steps
                    break;
            }

            now = world.Time.GetUtcNow();
            for (var p = 0; p < 3; p++)
            {
                var key = world.Patient(p);
                var expected = live.Count(r => r.Patient == key && r.Calendar.Day >= engine.Today && !(r.HoldExpiresAt is { } e && e <= now));
                if (engine.ActiveCountOf(key) != expected)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Many threads for one patient, with MHRS approval on and days far enough ahead that every booking awaits approval
    /// (entries trusted by the awaiting bit): some bookings approved, some holds confirmed into bookings awaiting approval,
    /// each released again. Never beyond the cap; nothing counted at the end; then exactly the cap books again.
    /// </summary>
    [Fact]
    public void Many_threads_booking_awaiting_approval_for_one_patient_never_pass_the_cap()
    {
        const int Cap = 2;
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = Cap;
            o.Quotas = QuotaPolicy.None;
            o.Approval = ApprovalPolicy.Mhrs;
        });
        var engine = world.Engine;
        var calendars = new[] { TestWorld.Tomorrow.AddDays(1), TestWorld.Tomorrow.AddDays(2) }
            .Select(day => world.Publish(TestWorld.P1, day, TestWorld.Wide)).ToArray();
        var patient = world.Patient(1);
        const int Threads = 4;
        var overCap = 0;
        var awaiting = 0;
        using var barrier = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            barrier.SignalAndWait();
            for (var i = 0; i < 500; i++)
            {
                var calendar = calendars[(t + i) % 2];
                var slot = SlotRange.Single(((t * 500) + i) % 140);
                var result = (i % 3) == 0
                    ? engine.TryClaim(ClaimRequest.Hold(calendar, slot, patient, HoldTime))
                    : engine.TryClaim(ClaimRequest.Book(calendar, slot, patient));
                if (!result.Succeeded)
                {
                    Assert.True(result.Status is ClaimStatus.ActiveLimitReached or ClaimStatus.Taken, result.ToString());
                    continue;
                }

                var reservation = result.Reservation;
                if ((i % 3) == 0)
                {
                    var confirmed = engine.TryConfirm(reservation); // a hold confirmed two days ahead: awaiting approval
                    Assert.True(confirmed.Succeeded && confirmed.Reservation.HoldExpiresAt is not null, confirmed.ToString());
                    reservation = confirmed.Reservation;
                }

                if (reservation.HoldExpiresAt is not null)
                {
                    Interlocked.Increment(ref awaiting);
                }

                if ((i % 4) == 1)
                {
                    var approved = engine.TryApprove(reservation);
                    Assert.True(approved.Succeeded, approved.ToString());
                    reservation = approved.Reservation;
                }

                if (engine.ActiveCountOf(patient) > Cap)
                {
                    Interlocked.Increment(ref overCap);
                }

                Assert.True(engine.TryRelease(reservation).Succeeded);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Equal(0, overCap);
        Assert.True(awaiting > 100, $"only {awaiting} bookings awaited approval");
        Assert.Equal(0, engine.ActiveCountOf(patient));
        var booked = Enumerable.Range(0, 10).Select(s => engine.TryClaim(ClaimRequest.Book(calendars[0], SlotRange.Single(s), patient))).Count(r => r.Succeeded);
        Assert.Equal(Cap, booked);
        Assert.Equal(Cap, engine.ActiveCountOf(patient));

        // Past the day's approval deadline (20:00 the day before) the unapproved bookings have lapsed: the cap is free again.
        world.Time.Advance(TimeSpan.FromHours(36));
        Assert.Equal(0, engine.ActiveCountOf(patient));
        Assert.True(engine.TryClaim(ClaimRequest.Book(calendars[1], SlotRange.Single(139), patient)).Succeeded);
    }

    /// <summary>A world with a cap of three active appointments and neither quotas nor approval in the way.</summary>
    private static TestWorld CapOfThree() => new(o =>
    {
        o.MaxActiveAppointments = 3;
        o.Quotas = QuotaPolicy.None;
        o.Approval = ApprovalPolicy.None;
    });

    [Fact]
    public void A_full_patient_of_bookings_claims_again_after_each_way_a_booking_ends()
    {
        var world = CapOfThree();
        var engine = world.Engine;
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var other = world.Publish(TestWorld.P2, TestWorld.Tomorrow, TestWorld.Wide);
        var booked = new List<Reservation> { world.MustBook(calendar, 0, 1, 1), world.MustBook(calendar, 1, 1, 1) };
        var confirmed = engine.TryConfirm(world.MustHold(calendar, 2, 1, 1));
        Assert.True(confirmed.Succeeded);
        booked.Add(confirmed.Reservation);
        Assert.Equal(ClaimStatus.ActiveLimitReached, world.Book(calendar, 10, 1, 1).Status);

        // Cancelled.
        Assert.True(engine.TryCancel(booked[0], CancelActor.Administrator).Succeeded);
        booked[0] = world.MustBook(calendar, 10, 1, 1);
        Assert.Equal(ClaimStatus.ActiveLimitReached, world.Book(calendar, 11, 1, 1).Status);

        // Displaced by a block.
        Assert.Single(engine.Block(calendar, SlotRange.Single(1)).Displaced);
        booked[1] = world.MustBook(calendar, 11, 1, 1);
        Assert.Equal(ClaimStatus.ActiveLimitReached, world.Book(calendar, 12, 1, 1).Status);

        // Moved: still three, and the old slot's entry is the new one's.
        var moved = engine.TryReschedule(booked[2], ClaimRequest.Book(other, SlotRange.Single(5), booked[2].Patient));
        Assert.True(moved.Succeeded);
        Assert.Equal(3, engine.ActiveCountOf(world.Patient(1)));
        Assert.Equal(ClaimStatus.ActiveLimitReached, world.Book(calendar, 12, 1, 1).Status);

        // Withdrawn with its day: two of the three were on it.
        Assert.Equal(2, engine.Withdraw(calendar).Displaced.Count);
        Assert.Equal(1, engine.ActiveCountOf(world.Patient(1)));
        Assert.True(world.Book(other, 6, 1, 1).Succeeded);
        Assert.True(world.Book(other, 7, 1, 1).Succeeded);
        Assert.Equal(ClaimStatus.ActiveLimitReached, world.Book(other, 8, 1, 1).Status);

        // The day passes: bookings of a past day do not count.
        world.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, engine.ActiveCountOf(world.Patient(1)));
    }

    /// <summary>
    /// Threads book (directly, or hold and confirm) and release for one patient while another blocks and reopens the
    /// slots they book: a booking displaced while its entry was still pending must not stay counted. At the end the cap's
    /// count equals the bookings the calendar really holds, and the cap was never passed.
    /// </summary>
    [Fact]
    public async Task Bookings_displaced_while_their_entry_commits_are_never_left_counted()
    {
        var world = CapOfThree();
        var engine = world.Engine;
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var patient = world.Patient(1);
        var overCap = 0;
        using var stop = new CancellationTokenSource();
        var blocker = Task.Run(() =>
        {
            var range = new SlotRange(0, 12);
            while (!stop.IsCancellationRequested)
            {
                engine.Block(calendar, range);
                engine.Reopen(calendar, range);
            }
        });
        Parallel.For(0, 4, t =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                var slot = SlotRange.Single(((t * 3) + i) % 12);
                var result = i % 2 == 0
                    ? engine.TryClaim(ClaimRequest.Book(calendar, slot, patient))
                    : engine.TryClaim(ClaimRequest.Hold(calendar, slot, patient, HoldTime)) is { Succeeded: true } held ? engine.TryConfirm(held.Reservation) : ClaimResult.Failed(ClaimStatus.Taken);
                if (!result.Succeeded)
                {
                    continue;
                }

                if (engine.ActiveCountOf(patient) > 3)
                {
                    Interlocked.Increment(ref overCap);
                }

                if (i % 3 != 0)
                {
                    engine.TryRelease(result.Reservation);
                }
            }
        });
        stop.Cancel();
        await blocker;
        Assert.Equal(0, overCap);
        var snapshot = engine.GetCalendar(calendar);
        var held = Enumerable.Range(0, 12).Count(s => snapshot[s].Owner == patient && snapshot[s].Status is SlotStatus.Held or SlotStatus.Booked);
        Assert.Equal(held, engine.ActiveCountOf(patient));
    }
}
