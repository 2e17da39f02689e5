using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// The active cap's entries in the patient directory's places (<see cref="ActiveLedger"/>), beside the admission
/// instant: against a model with the rate on and caps up to the largest (so a place carries 1 + 2 × 8 payload longs),
/// for several patients whose places neighbour one another; many threads for one patient never pass the cap; a day
/// published again frees the old day's entries.
/// </summary>
public sealed class ActiveCapDirectoryTests
{
    private static readonly AdmissionRate Generous = new(10_000, TimeSpan.FromSeconds(1));

    /// <summary>
    /// Random claims (book or hold) on three days for five patients, releases, and time passing, with the admission
    /// rate on (generous: never the reason) and MHRS quotas off: a claim succeeds exactly when its slot is free and the
    /// patient is below the cap, and the cap's own count equals the model's for every patient after every step.
    /// </summary>
    [Property(MaxTest = 120)]
    public bool Claims_succeed_exactly_when_the_model_says_so_with_the_rate_on(byte[] ops, byte capSeed)
    {
        var cap = (capSeed % QuotaPolicy.MaxLimit) + 1;
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = cap;
            o.Quotas = QuotaPolicy.None;
            o.Admission = Generous;
        });
        var engine = world.Engine;
        var days = new[] { TestWorld.Tomorrow, TestWorld.Tomorrow.AddDays(1), TestWorld.Tomorrow.AddDays(2) };
        foreach (var day in days)
        {
            engine.Publish(TestWorld.P1, day, TestWorld.Wide);
        }

        var live = new List<Reservation>();
        foreach (var op in ops ?? [])
        {
            var now = world.Time.GetUtcNow();
            live.RemoveAll(r => (r.HoldExpiresAt is { } e && e <= now) || r.Calendar.Day < engine.Today);
            var patient = world.Patient(op % 5);
            switch (op % 8)
            {
                case < 5:
                    var calendar = new CalendarKey(TestWorld.P1, days[(op >> 3) % 3]);
                    var slot = (op >> 4) % 12;
                    var request = op % 2 == 0
                        ? ClaimRequest.Hold(calendar, SlotRange.Single(slot), patient, TimeSpan.FromMinutes(10))
                        : ClaimRequest.Book(calendar, SlotRange.Single(slot), patient);
                    var free = engine.Rules.IsInBookingWindow(calendar.Day, engine.Today) && TestWorld.At(calendar.Day, 7).AddMinutes(5 * slot) > now && !live.Any(r => r.Calendar == calendar && r.Slots.First == slot);
                    var below = live.Count(r => r.Patient == patient) < cap;
                    var result = engine.TryClaim(request);
                    var expected = !free ? result.Status != ClaimStatus.Succeeded : below ? result.Succeeded : result.Status == ClaimStatus.ActiveLimitReached;
                    if (!expected)
                    {
                        return false;
                    }

                    if (result.Succeeded)
                    {
                        live.Add(result.Reservation);
                    }

                    break;
                case < 7 when live.Count > 0:
                    var i = op % live.Count;
                    if (!engine.TryRelease(live[i]).Succeeded)
                    {
                        return false;
                    }

                    live.RemoveAt(i);
                    break;
                default:
                    world.Time.Advance(TimeSpan.FromMinutes(op % 2 == 0 ? 7 : 300));
                    break;
            }

            now = world.Time.GetUtcNow();
            live.RemoveAll(r => (r.HoldExpiresAt is { } e && e <= now) || r.Calendar.Day < engine.Today);
            for (var p = 0; p < 5; p++)
            {
                var key = world.Patient(p);
                if (engine.ActiveCountOf(key) != live.Count(r => r.Patient == key))
                {
                    return false;
                }
            }
        }

        return true;
    }

    [Fact]
    public void Many_threads_for_one_patient_with_the_rate_on_never_pass_the_cap()
    {
        const int Cap = 2;
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = Cap;
            o.Quotas = QuotaPolicy.None;
            o.Admission = Generous;
        });
        var engine = world.Engine;
        var calendars = new[] { TestWorld.Tomorrow, TestWorld.Tomorrow.AddDays(1) }
            .Select(day => world.Publish(TestWorld.P1, day, TestWorld.Wide)).ToArray();
        var patient = world.Patient(1);
        var neighbour = world.Patient(2);
        world.MustBook(calendars[1], 143, 1, patient: 2); // a neighbour's entry, which no claim of patient 1 may take
        const int threads = 8; // 4,800 claims: within the rate's burst of 10,000 while the test clock stands still
        var overCap = 0;
        var successes = 0;
        using var barrier = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            barrier.SignalAndWait();
            for (var i = 0; i < 600; i++)
            {
                var calendar = calendars[(t + i) % 2];
                var request = (i % 3) == 0
                    ? ClaimRequest.Hold(calendar, SlotRange.Single(((t * 600) + i) % 140), patient, TimeSpan.FromMinutes(5))
                    : ClaimRequest.Book(calendar, SlotRange.Single(((t * 600) + i) % 140), patient);
                var result = engine.TryClaim(request);
                if (!result.Succeeded)
                {
                    continue;
                }

                Interlocked.Increment(ref successes);
                if (engine.ActiveCountOf(patient) > Cap)
                {
                    Interlocked.Increment(ref overCap);
                }

                Assert.True(engine.TryRelease(result.Reservation).Succeeded);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.Equal(0, overCap);
        Assert.True(successes > 100, $"only {successes} claims succeeded");
        Assert.Equal(0, engine.ActiveCountOf(patient));
        Assert.Equal(1, engine.ActiveCountOf(neighbour));
        var booked = Enumerable.Range(0, 10).Select(s => engine.TryClaim(ClaimRequest.Book(calendars[0], SlotRange.Single(s), patient))).Count(r => r.Succeeded);
        Assert.Equal(Cap, booked);
        Assert.Equal(Cap, engine.ActiveCountOf(patient));
    }

    /// <summary>
    /// A confirm's booked mark (<see cref="ActiveLedger.MarkBooked"/>) changes the entry naming a claim without taking it:
    /// a move's take of that entry (<see cref="ActiveLedger.TryTakeFromClaim"/>) racing it must read the entry again and
    /// take it, never answer "no entry names the claim" (a move at the cap was refused with ActiveLimitReached so).
    /// One thread marks the entry booked whenever it is not; the other takes it for a move and commits it back to the
    /// claim, which clears the mark, 20,000 times.
    /// </summary>
    [Fact]
    public void A_moves_take_racing_a_confirms_booked_mark_always_finds_the_entry()
    {
        var world = new TestWorld(o => o.MaxActiveAppointments = 1);
        var key = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        Assert.True(world.Engine.Directory.TryGetProvider(key.Provider, out var provider));
        var calendar = provider.GetCalendar(key.Day)!;
        var patients = new PatientDirectory(16, ActiveLedger.LongsPerEntry);
        var ledger = new ActiveLedger(1, patients, 0, world.Engine.Directory, world.Engine.Rules);
        var patient = patients.IndexOf(world.Patient(1));
        const int Slot = 7;
        const long Token = 12_345;
        var entry = ledger.TryTake(patient, TestWorld.Today, world.Time.GetUtcNow().UtcTicks, out var place);
        Assert.True(entry >= 0);
        ActiveLedger.Commit(place, entry, calendar, Slot, Token);

        const int Moves = 20_000;
        var missed = 0;
        var done = 0;
        var marker = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                ledger.MarkBooked(patient, calendar, Slot, Token);
            }
        });
        marker.Start();
        for (var i = 0; i < Moves; i++)
        {
            var taken = ledger.TryTakeFromClaim(patient, calendar, Slot, Token, out var cell);
            if (taken < 0)
            {
                missed++;
                continue;
            }

            ActiveLedger.Commit(cell, taken, calendar, Slot, Token); // back to the claim, unmarked: the marker races again
        }

        Volatile.Write(ref done, 1);
        marker.Join();
        Assert.Equal(0, missed);
        Assert.True(ledger.TryTakeFromClaim(patient, calendar, Slot, Token, out _) >= 0, "the entry still names the claim");
    }

    [Fact]
    public void Claims_with_the_cap_and_the_rate_on_allocate_nothing()
    {
        // As AllocationTests, with the rules that put state in the patient's place: the admission instant and the cap.
        const int Providers = 150;
        var world = new TestWorld(o =>
        {
            o.ExpectedPatients = 10_000;
            o.ExpectedClaimsPerDay = 10_000;
            o.MaxActiveAppointments = 3;
            o.Admission = Generous;
        });
        world.Engine.Directory.AddClinic(new ClinicId(99), new FacilityId(2), TestWorld.Branch5);
        for (var p = 100; p < 100 + Providers; p++)
        {
            world.Engine.Directory.AddProvider(new ProviderId(p), new ClinicId(99));
            world.Publish(new ProviderId(p), TestWorld.Tomorrow);
        }

        var patients = Enumerable.Range(0, Providers + 3).Select(world.Patient).ToArray();
        for (var round = 0; round < 3; round++)
        {
            var warm = world.Engine.TryClaim(ClaimRequest.Hold(new CalendarKey(new ProviderId(100 + round), TestWorld.Tomorrow), SlotRange.Single(47), patients[Providers + round], TimeSpan.FromMinutes(5)));
            Assert.True(warm.Succeeded && world.Engine.TryConfirm(warm.Reservation).Succeeded);
        }

        // Three windows of fresh calendars and new patients; two must allocate nothing (see AllocationTests for the third).
        const int Windows = 3;
        var allocated = new long[Windows];
        var succeeded = 0;
        for (var w = 0; w < Windows; w++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = w * Providers / Windows; i < (w + 1) * Providers / Windows; i++)
            {
                var hold = world.Engine.TryClaim(ClaimRequest.Hold(new CalendarKey(new ProviderId(100 + i), TestWorld.Tomorrow), SlotRange.Single(i % 47), patients[i], TimeSpan.FromMinutes(5)));
                if (hold.Succeeded && world.Engine.TryConfirm(hold.Reservation).Succeeded)
                {
                    succeeded++;
                }
            }

            allocated[w] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(Providers, succeeded);
        Assert.True(allocated.Count(bytes => bytes == 0) >= Windows - 1, "bytes per window: " + string.Join(", ", allocated));
        Assert.Equal(1, world.Engine.ActiveCountOf(patients[0]));
    }
}
