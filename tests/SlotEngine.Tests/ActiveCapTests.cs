using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>The cap on live future appointments against a plain model, across days and time.</summary>
public sealed class ActiveCapTests
{
    /// <summary>
    /// Random claims (book or hold) on two days, releases, and time passing (holds expire, days pass), for three
    /// patients, against a model that keeps each patient's live future claims: a claim succeeds exactly when its
    /// slot is free and the patient is below the cap, the cap's own count equals the model's, and the advisory check
    /// (IsAtActiveCap) never says a patient below the cap is at it.
    /// </summary>
    [Property(MaxTest = 150)]
    public bool Claims_succeed_exactly_when_the_model_says_so(byte[] ops, byte capSeed)
    {
        var cap = (capSeed % 3) + 1;
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = cap;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        var days = new[] { TestWorld.Tomorrow, TestWorld.Tomorrow.AddDays(1) };
        foreach (var day in days)
        {
            engine.Publish(TestWorld.P1, day, TestWorld.Wide);
        }

        var live = new List<Reservation>();
        foreach (var op in ops ?? [])
        {
            var now = world.Time.GetUtcNow();
            live.RemoveAll(r => (r.HoldExpiresAt is { } e && e <= now) || r.Calendar.Day < engine.Today);
            var patient = world.Patient(op % 3);
            switch (op % 8)
            {
                case < 5:
                    var calendar = new CalendarKey(TestWorld.P1, days[(op >> 3) % 2]);
                    var slot = (op >> 4) % 12;
                    var hold = op % 2 == 0;
                    var request = hold
                        ? ClaimRequest.Hold(calendar, SlotRange.Single(slot), patient, TimeSpan.FromMinutes(10))
                        : ClaimRequest.Book(calendar, SlotRange.Single(slot), patient);
                    var free = engine.Rules.IsInBookingWindow(calendar.Day, engine.Today) && TestWorld.At(calendar.Day, 7).AddMinutes(5 * slot) > now && !live.Any(r => r.Calendar == calendar && r.Slots.First == slot);
                    var below = live.Count(r => r.Patient == patient) < cap;
                    var told = engine.IsAtActiveCap(patient); // advisory, before the claim: never says "at the cap" below it
                    if (told && below)
                    {
                        return false;
                    }

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

            for (var p = 0; p < 3; p++)
            {
                var key = world.Patient(p);
                if (engine.ActiveCountOf(key) > cap)
                {
                    return false;
                }
            }
        }

        return true;
    }

    [Fact]
    public void Many_threads_for_one_patient_never_pass_the_cap_and_never_undercount()
    {
        var world = new TestWorld(o =>
        {
            o.MaxActiveAppointments = 3;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        engine.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var calendar = new CalendarKey(TestWorld.P1, TestWorld.Tomorrow);
        var patient = world.Patient(1);
        var overCap = 0;
        Parallel.For(0, 8, t =>
        {
            for (var i = 0; i < 400; i++)
            {
                var result = engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(((t * 400) + i) % 144), patient));
                if (!result.Succeeded)
                {
                    continue;
                }

                if (engine.ActiveCountOf(patient) > 3)
                {
                    Interlocked.Increment(ref overCap);
                }

                engine.TryRelease(result.Reservation);
            }
        });
        Assert.Equal(0, overCap);
        var booked = Enumerable.Range(0, 10).Select(s => engine.TryClaim(ClaimRequest.Book(calendar, SlotRange.Single(s), patient))).Count(r => r.Succeeded);
        Assert.Equal(3, booked);
    }
}
