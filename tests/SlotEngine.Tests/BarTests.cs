using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>No-show bars against a plain model, over time, and under concurrency.</summary>
public sealed class BarTests
{
    private static readonly TimeSpan Period = TimeSpan.FromHours(12);

    private static readonly ProviderId[] Providers = [TestWorld.P1, TestWorld.P3, TestWorld.P4];

    /// <summary>P1 and P4 are branch 5 at two facilities; P3 is branch 7.</summary>
    private static BranchId BranchOf(ProviderId provider) => provider == TestWorld.P3 ? new BranchId(7) : TestWorld.Branch5;

    /// <summary>
    /// Random bookings (some declaring an exempt attribute), outcomes on live bookings, releases, lifts and time passing,
    /// for three patients, against a model of bars by patient and branch: a claim is refused as Barred exactly when the
    /// model has a bar in force and the claim is not exempt; otherwise it succeeds exactly when its slot is free and ahead.
    /// </summary>
    [Property(MaxTest = 150)]
    public bool Claims_are_barred_exactly_when_the_model_says_so(byte[] ops)
    {
        var world = new TestWorld(o =>
        {
            o.Bars = new BarPolicy(Period, PatientAttributes.Over65 | PatientAttributes.Cancer);
            o.Quotas = QuotaPolicy.None;
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

        var bars = new Dictionary<(PatientKey, BranchId), DateTimeOffset>();
        var live = new List<Reservation>();
        foreach (var op in ops ?? [])
        {
            var now = world.Time.GetUtcNow();
            var patient = world.Patient(op % 3);
            switch (op % 8)
            {
                case < 4:
                    var provider = Providers[(op >> 3) % 3];
                    var calendar = new CalendarKey(provider, days[(op >> 5) % 2]);
                    var slot = (op >> 2) % 12;
                    var exempt = op % 4 == 3;
                    var request = ClaimRequest.Book(calendar, SlotRange.Single(slot), patient) with
                    {
                        PatientAttributes = exempt ? ((op & 0x80) != 0 ? PatientAttributes.Cancer : PatientAttributes.Over65) : PatientAttributes.None,
                    };
                    var barred = !exempt && bars.TryGetValue((patient, BranchOf(provider)), out var until) && until > now;
                    var free = engine.Rules.IsInBookingWindow(calendar.Day, engine.Today) && TestWorld.At(calendar.Day, 7).AddMinutes(5 * slot) > now && !live.Any(r => r.Calendar == calendar && r.Slots.First == slot);
                    var result = engine.TryClaim(request);
                    var expected = barred ? result.Status == ClaimStatus.Barred
                        : free ? result.Succeeded
                        : result.Status is not (ClaimStatus.Succeeded or ClaimStatus.Barred);
                    if (!expected)
                    {
                        return false;
                    }

                    if (result.Succeeded)
                    {
                        live.Add(result.Reservation);
                    }

                    break;
                case < 6 when live.Count > 0:
                    var booking = live[op % live.Count];
                    var outcome = (op % 8) == 4 ? AppointmentOutcome.NoShow : (op & 0x40) != 0 ? AppointmentOutcome.SeenElsewhere : AppointmentOutcome.Attended;
                    if (!engine.TryRecordOutcome(booking, outcome).Succeeded)
                    {
                        return false;
                    }

                    if (outcome != AppointmentOutcome.Attended)
                    {
                        var key = (booking.Patient, BranchOf(booking.Calendar.Provider));
                        var end = now + Period;
                        bars[key] = bars.TryGetValue(key, out var current) && current > end ? current : end;
                    }

                    break;
                case 6:
                    var branch = (op & 0x40) != 0 ? new BranchId(7) : TestWorld.Branch5;
                    var inForce = bars.TryGetValue((patient, branch), out var barEnd) && barEnd > now;
                    bars.Remove((patient, branch));
                    if (engine.LiftBar(patient, branch) != inForce)
                    {
                        return false;
                    }

                    break;
                case 7 when (op & 0x40) != 0 && live.Count > 0:
                    var i = op % live.Count;
                    if (!engine.TryRelease(live[i]).Succeeded || engine.TryRecordOutcome(live[i], AppointmentOutcome.NoShow).Status != ClaimStatus.Stale)
                    {
                        return false;
                    }

                    live.RemoveAt(i);
                    break;
                default:
                    world.Time.Advance(TimeSpan.FromHours(op % 2 == 0 ? 1 : 5));
                    break;
            }
        }

        return true;
    }

    [Fact]
    public void Many_threads_never_book_a_patient_after_the_no_show_that_bars_them()
    {
        var world = new TestWorld(o =>
        {
            o.Bars = BarPolicy.Mhrs;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var elsewhere = world.Publish(TestWorld.P4, TestWorld.Tomorrow, TestWorld.Wide);
        var patient = world.Patient(1);
        var missed = world.MustBook(calendar, 0, 1, 1);
        var barredSince = 0;
        var bookedAfterBar = 0;
        var bookedBefore = 0;
        Parallel.For(0, 8, t =>
        {
            if (t == 0)
            {
                Assert.True(engine.TryRecordOutcome(missed, AppointmentOutcome.NoShow).Succeeded);
                Volatile.Write(ref barredSince, 1);
                return;
            }

            for (var i = 0; i < 300; i++)
            {
                var barred = Volatile.Read(ref barredSince) == 1; // read before the claim starts
                var target = i % 2 == 0 ? calendar : elsewhere;
                var result = engine.TryClaim(ClaimRequest.Book(target, SlotRange.Single(1 + (((t * 300) + i) % 143)), patient));
                if (!result.Succeeded)
                {
                    continue;
                }

                Interlocked.Increment(ref barred ? ref bookedAfterBar : ref bookedBefore);
                engine.TryRelease(result.Reservation);
            }
        });

        Assert.Equal(0, bookedAfterBar);
        Assert.All(Enumerable.Range(1, 20), s => Assert.Equal(ClaimStatus.Barred, engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(s), patient)).Status));
        Assert.True(engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(1), world.Patient(2))).Succeeded);
        world.Time.Advance(TimeSpan.FromDays(15));
        engine.Publish(TestWorld.P1, TestWorld.Tomorrow.AddDays(16), TestWorld.Wide);
        Assert.True(engine.TryClaim(ClaimRequest.Book(new CalendarKey(TestWorld.P1, TestWorld.Tomorrow.AddDays(16)), SlotRange.Single(1), patient)).Succeeded);
    }
}
