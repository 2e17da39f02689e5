using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The daily quotas under the active cap, where the engine judges them from the patient's cap entries
/// (ActiveLedger.Quotas.cs) instead of the quota ledger's tables: against a model, and with threads racing for one
/// patient.
/// </summary>
public sealed class CapQuotaTests
{
    private static readonly ProviderId[] Providers = [TestWorld.P1, TestWorld.P2, TestWorld.P3, TestWorld.P4]; // clinics 10, 10, 11 (facility 1), 20 (facility 2)

    private static readonly QuotaPolicy[] Policies =
    [
        QuotaPolicy.Mhrs,
        new([new QuotaRule(QuotaScope.Provider, 2), new QuotaRule(QuotaScope.Facility, 3)]),
        new([new QuotaRule(QuotaScope.Clinic, 2)]),
    ];

    /// <summary>
    /// Random holds and books on four doctors (two in one clinic, a third clinic of the same facility, another facility) and
    /// two days, releases, moves and time passing (holds lapse, days pass), for two patients, under a cap of 1 to 4 and one
    /// of three quota policies, against a model of each patient's live claims: a claim answers exactly what the model
    /// says (the cap first, then the quotas, then the seat), a move that succeeds keeps the patient within the quotas
    /// without the moved claim, and after every step the model's live claims are within the cap and every quota.
    /// </summary>
    [Property(MaxTest = 200)]
    public bool Claims_and_moves_under_the_cap_keep_the_quotas_exactly(byte[] ops, byte seed)
    {
        var cap = (seed % 4) + 1;
        var policy = Policies[(seed / 4) % Policies.Length];
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = cap;
            o.Quotas = policy;
        });
        var engine = world.Engine;
        var days = new[] { TestWorld.Tomorrow, TestWorld.Tomorrow.AddDays(1) };
        foreach (var provider in Providers)
        {
            foreach (var day in days)
            {
                engine.Publish(provider, day, TestWorld.Wide);
            }
        }

        var live = new List<Reservation>();
        foreach (var op in ops ?? [])
        {
            var now = world.Time.GetUtcNow();
            live.RemoveAll(r => (r.HoldExpiresAt is { } e && e <= now) || r.Calendar.Day < engine.Today);
            var patient = world.Patient(op % 2);
            var calendar = new CalendarKey(Providers[(op >> 2) % 4], days[(op >> 4) % 2]);
            var slot = (op >> 5) % 8;
            var open = engine.Rules.IsInBookingWindow(calendar.Day, engine.Today) && TestWorld.At(calendar.Day, 7).AddMinutes(5 * slot) > now;
            var free = !live.Any(r => r.Calendar == calendar && r.Slots.First == slot);
            switch (op % 8)
            {
                case < 4:
                    {
                        var request = op % 2 == 0
                            ? ClaimRequest.Hold(calendar, SlotRange.Single(slot), patient, TimeSpan.FromMinutes(10))
                            : ClaimRequest.Book(calendar, SlotRange.Single(slot), patient);
                        var below = live.Count(r => r.Patient == patient) < cap;
                        var within = WithinQuotas(live, patient, calendar, policy, except: null);
                        var result = engine.TryClaim(request);
                        var expected = !below ? ClaimStatus.ActiveLimitReached
                            : !open ? (ClaimStatus?)null
                            : !within ? ClaimStatus.QuotaExceeded
                            : !free ? ClaimStatus.Taken
                            : ClaimStatus.Succeeded;
                        if (expected is { } status ? result.Status != status : result.Succeeded)
                        {
                            return false;
                        }

                        if (result.Succeeded)
                        {
                            live.Add(result.Reservation);
                        }

                        break;
                    }

                case < 6 when live.Any(r => r.Patient == patient):
                    {
                        var own = live.Where(r => r.Patient == patient).ToList();
                        var current = own[op % own.Count];
                        var withinWithout = WithinQuotas(live, patient, calendar, policy, except: current);
                        var moved = engine.TryReschedule(current, ClaimRequest.Book(calendar, SlotRange.Single(slot), patient));
                        if (moved.Succeeded)
                        {
                            if (!open || !withinWithout || !(free || (current.Calendar == calendar && current.Slots.First == slot)))
                            {
                                return false;
                            }

                            live.Remove(current);
                            live.Add(moved.Reservation);
                        }
                        else if (moved.Status == ClaimStatus.QuotaExceeded && withinWithout)
                        {
                            return false;
                        }

                        break;
                    }

                case 6 when live.Count > 0:
                    {
                        var i = op % live.Count;
                        if (!engine.TryRelease(live[i]).Succeeded)
                        {
                            return false;
                        }

                        live.RemoveAt(i);
                        break;
                    }

                default:
                    world.Time.Advance(TimeSpan.FromMinutes(op % 2 == 0 ? 7 : 300));
                    break;
            }

            for (var p = 0; p < 2; p++)
            {
                var key = world.Patient(p);
                if (live.Count(r => r.Patient == key) > cap || live.Where(r => r.Patient == key).Any(r => !WithinQuotas(live, key, r.Calendar, policy, except: r)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Four threads book and release for one patient across two doctors of one clinic and a doctor of another clinic of the
    /// same facility, on one day, under the cap (3) and MHRS's quotas (one per clinic, two per facility): a thread counts
    /// its booking in the clinic's and the facility's counters after the engine said yes and takes it out before it
    /// releases, so a counter above its limit means that many bookings were live at once. It never is, and when the
    /// threads are done the patient can book again exactly as the quotas allow.
    /// </summary>
    [Fact]
    public void Threads_of_one_patient_never_pass_a_quota_under_the_cap()
    {
        var world = new TestWorld(o => o.MaxActiveAppointments = 3);
        var engine = world.Engine;
        var calendars = new[] { TestWorld.P1, TestWorld.P2, TestWorld.P3 }.Select(p => world.Publish(p, TestWorld.Tomorrow)).ToArray();
        var patient = world.Patient(1);
        var clinic10 = 0;
        var clinic11 = 0;
        var facility1 = 0;
        var violations = 0;
        var booked = 0;
        Parallel.For(0, 4, t =>
        {
            var random = new Random(t);
            for (var i = 0; i < 3_000; i++)
            {
                var c = random.Next(3);
                var result = engine.TryClaim(ClaimRequest.Book(calendars[c], SlotRange.Single(random.Next(48)), patient));
                if (!result.Succeeded)
                {
                    continue;
                }

                Interlocked.Increment(ref booked);
                ref var clinic = ref c < 2 ? ref clinic10 : ref clinic11;
                var overClinic = Interlocked.Increment(ref clinic) > 1;
                var overFacility = Interlocked.Increment(ref facility1) > 2;
                if (overClinic || overFacility)
                {
                    Interlocked.Increment(ref violations);
                }

                Thread.Yield();
                Interlocked.Decrement(ref clinic);
                Interlocked.Decrement(ref facility1);
                Assert.True(engine.TryRelease(result.Reservation).Succeeded);
            }
        });

        Assert.Equal(0, violations);
        Assert.True(booked > 100, $"the threads booked ({booked} times)");
        world.MustBook(calendars[0], 0, 1, 1);
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Book(calendars[1], 1, 1, 1).Status); // clinic 10: one a day
        world.MustBook(calendars[2], 2, 1, 1);
        Assert.Equal(2, engine.ActiveCountOf(patient));
    }

    /// <summary>
    /// A move racing a claim of the same patient: one thread moves a booking at clinic 10 to a seat that is taken (so every
    /// move fails after its quota count and the booking stays where it is), another books clinic 10 for the same patient
    /// again and again. The booking is live all along, so clinic 10's quota (one a day) must refuse every one of those
    /// claims: the move's entry, while the move runs, is counted against every rule by the patient's other claims.
    /// </summary>
    [Fact]
    public void A_claim_racing_a_failing_move_of_the_same_clinic_is_always_refused()
    {
        var world = new TestWorld(o => o.MaxActiveAppointments = 3);
        var engine = world.Engine;
        var clinic10 = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var sameClinic = world.Publish(TestWorld.P2, TestWorld.Tomorrow);
        var otherFacility = world.Publish(TestWorld.P4, TestWorld.Tomorrow);
        world.MustBook(otherFacility, 0, 1, 2); // the move's target seat: someone else's
        var booking = world.MustBook(clinic10, 0, 1, 1);
        var patient = world.Patient(1);
        var moves = 0;
        var passed = 0;
        ClaimStatus? unexpected = null;
        using var done = new ManualResetEventSlim();

        // A thread of its own (not the pool's, which other test classes keep busy), so both sides run whatever else runs.
        var mover = new Thread(() =>
        {
            while (!done.IsSet)
            {
                var result = engine.TryReschedule(booking, ClaimRequest.Book(otherFacility, SlotRange.Single(0), patient));
                // Taken; or refused by the quota when it counted the racing claim's entry before that claim named its calendar.
                if (result.Status is not (ClaimStatus.Taken or ClaimStatus.QuotaExceeded))
                {
                    unexpected = result.Status;
                }

                Interlocked.Increment(ref moves);
            }
        })
        { IsBackground = true };
        mover.Start();

        // At least 40,000 claims, and on until the mover has moved 2,000 times (bounded, in case it never runs).
        for (var i = 0; i < 40_000 || (Volatile.Read(ref moves) < 2_000 && i < 10_000_000); i++)
        {
            var result = engine.TryClaim(ClaimRequest.Book(sameClinic, SlotRange.Single(1 + (i % 40)), patient));
            if (result.Succeeded)
            {
                passed++;
                engine.TryRelease(result.Reservation);
            }
            else
            {
                Assert.Equal(ClaimStatus.QuotaExceeded, result.Status);
            }
        }

        done.Set();
        mover.Join();
        Assert.Null(unexpected);
        Assert.Equal(0, passed);
        Assert.True(moves >= 2_000, $"the mover ran ({moves} moves)");
        Assert.True(engine.TryRelease(booking).Succeeded); // still where it was
    }

    private static bool WithinQuotas(List<Reservation> live, PatientKey patient, CalendarKey calendar, QuotaPolicy policy, Reservation? except)
    {
        foreach (var rule in policy.Rules)
        {
            var count = live.Count(r => r.Patient == patient && r != except && r.Calendar.Day == calendar.Day && Scope(rule.Scope, r.Calendar.Provider) == Scope(rule.Scope, calendar.Provider));
            if (count >= rule.MaxPerDay)
            {
                return false;
            }
        }

        return true;
    }

    private static int Scope(QuotaScope scope, ProviderId provider)
    {
        var index = Array.IndexOf(Providers, provider);
        return scope switch
        {
            QuotaScope.Provider => provider.Value,
            QuotaScope.Clinic => new[] { 10, 10, 11, 20 }[index],
            _ => new[] { 1, 1, 1, 2 }[index],
        };
    }
}
