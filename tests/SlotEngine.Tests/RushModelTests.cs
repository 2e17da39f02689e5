using FsCheck.Xunit;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// Scheduled release, reserved capacity and the admission rate, each against a plain model, with time driven by a
/// <see cref="Microsoft.Extensions.Time.Testing.FakeTimeProvider"/>: random operations, every answer compared.
/// </summary>
public sealed class RushModelTests
{
    /// <summary>
    /// Day D = today + 15 opens at D−15 10:00 in ten cohorts five minutes apart (by birth year, or by patient key);
    /// claims from random patients as time moves: NotYetOpen exactly when now is before the model's opening of the
    /// patient's cohort (midnight of D−15 plus 10:00 plus the cohort's offset; birth-year digit d → cohort d × K / 10).
    /// </summary>
    [Property(MaxTest = 120)]
    public bool Release_answers_NotYetOpen_exactly_before_the_cohorts_time(byte[] ops, bool byBirthYear, byte cohortSeed)
    {
        var cohorts = (cohortSeed % 10) + 1;
        var basis = byBirthYear ? CohortBasis.BirthYear : CohortBasis.PatientKey;
        var policy = ReleasePolicy.Staggered(15, TimeSpan.FromHours(10), basis, cohorts, TimeSpan.FromMinutes(5));
        var world = new TestWorld(o =>
        {
            o.Release = policy;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        var day = TestWorld.Today.AddDays(15);
        var calendar = world.Publish(TestWorld.P1, day, TestWorld.Wide);
        var firstOpen = new DateTimeOffset(TestWorld.Today.ToDateTime(new TimeOnly(10, 0)), TestWorld.Istanbul);
        foreach (var op in ops ?? [])
        {
            if (op % 4 == 0)
            {
                world.Time.Advance(TimeSpan.FromMinutes(1 + (op % 13)));
                continue;
            }

            var patient = world.Patient(op % 37);
            int? birthYear = op % 5 == 0 ? null : 1950 + (op % 60);
            int cohort;
            if (basis == CohortBasis.BirthYear)
            {
                cohort = birthYear is { } y ? (y % 10) * cohorts / 10 : cohorts - 1;
            }
            else
            {
                cohort = policy.CohortOf(patient, null);
            }

            var opens = firstOpen + TimeSpan.FromMinutes(5 * (cohorts == 1 ? 0 : cohort));
            var request = ClaimRequest.Book(calendar, SlotRange.Single(op % 100), patient) with { BirthYear = birthYear };
            var result = engine.TryClaim(request);
            var notOpen = world.Time.GetUtcNow() < opens;
            if (notOpen != (result.Status == ClaimStatus.NotYetOpen) || engine.OpensAt(day, request) != opens)
            {
                return false;
            }

            if (result.Succeeded && !engine.TryRelease(result.Reservation).Succeeded)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A capacity-3 day whose top <c>seats</c> seats of every third slot are reserved for pool "fd" until 48 hours
    /// before the day; random books (with the pool, another pool, none), releases and time moving past the release,
    /// against a model of every seat: the expected seat is the first free one in the order the policy gives (all seats
    /// bottom-up after the release or off reserved slots; top-down for a pool claim; the unreserved ones bottom-up
    /// otherwise, ReservedForPool when there are none).
    /// </summary>
    [Property(MaxTest = 150)]
    public bool Pool_claims_take_the_seat_the_model_says(byte[] ops, byte seatSeed)
    {
        const int Capacity = 3;
        var seats = (seatSeed % Capacity) + 1;
        var reserved = new ReservedCapacity("fd", seats, 3, TimeSpan.FromHours(48));
        var world = new TestWorld(o =>
        {
            o.Reserved = reserved;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        var day = TestWorld.Today.AddDays(4);
        var calendar = world.Publish(TestWorld.P1, day, TestWorld.Template(10, Capacity, "08:00-12:00"));
        var release = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TestWorld.Istanbul) - TimeSpan.FromHours(48);
        var owner = new Reservation?[24, Capacity];
        foreach (var op in ops ?? [])
        {
            var slot = (op >> 2) % 12;
            switch (op % 8)
            {
                case 7:
                    world.Time.Advance(TimeSpan.FromHours(5));
                    continue;
                case 6:
                    for (var s = 0; s < Capacity; s++)
                    {
                        if (owner[slot, s] is { } r)
                        {
                            if (!engine.TryRelease(r).Succeeded)
                            {
                                return false;
                            }

                            owner[slot, s] = null;
                            break;
                        }
                    }

                    continue;
            }

            var pool = (op % 3) switch { 0 => "fd", 1 => null, _ => "vet" };
            var request = ClaimRequest.Book(calendar, SlotRange.Single(slot), world.Patient(op % 11)) with { Pool = pool };
            var released = world.Time.GetUtcNow() >= release;
            IEnumerable<int> order = released || slot % 3 != 0 ? Enumerable.Range(0, Capacity)
                : pool == "fd" ? Enumerable.Range(0, Capacity).Reverse()
                : Enumerable.Range(0, Capacity - seats);
            var expected = order.Where(s => owner[slot, s] is null).Select(s => (int?)s).FirstOrDefault();
            var result = engine.TryClaim(request);
            if (expected is { } seat)
            {
                if (!result.Succeeded || result.Reservation.Seat != seat)
                {
                    return false;
                }

                owner[slot, seat] = result.Reservation;
            }
            else if (result.Status != (order.Any() ? ClaimStatus.Taken : ClaimStatus.ReservedForPool))
            {
                return false;
            }
        }

        return engine.FindQuiescentViolation() is null;
    }

    /// <summary>
    /// Three patients attempt claims as time moves in random steps (milliseconds to minutes); the model is a token
    /// bucket kept as credit in microseconds (N × interval at most, one interval per attempt, refilled by elapsed
    /// time): an attempt is RateLimited exactly when the patient's credit is below one interval.
    /// </summary>
    [Property(MaxTest = 150)]
    public bool The_admission_rate_agrees_with_a_token_bucket(byte[] ops, byte attemptsSeed, bool longWindow)
    {
        var attempts = (attemptsSeed % 6) + 1;
        var window = longWindow ? TimeSpan.FromMinutes(1) : TimeSpan.FromSeconds(3);
        var rate = new AdmissionRate(attempts, window);
        var world = new TestWorld(o =>
        {
            o.Admission = rate;
            o.Quotas = QuotaPolicy.None;
        });
        var engine = world.Engine;
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var interval = window.Ticks / TimeSpan.TicksPerMicrosecond / attempts;
        var credit = new long[3];
        var seen = new long[3];
        Array.Fill(credit, attempts * interval);
        var nowUs = world.Time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMicrosecond;
        Array.Fill(seen, nowUs);
        foreach (var op in ops ?? [])
        {
            if (op % 3 == 0)
            {
                world.Time.Advance(TimeSpan.FromMilliseconds((op % 5) switch { 0 => 1, 1 => 250, 2 => 999, 3 => 4_000, _ => 20_000 }));
                nowUs = world.Time.GetUtcNow().UtcTicks / TimeSpan.TicksPerMicrosecond;
                continue;
            }

            var p = op % 3;
            credit[p] = Math.Min(attempts * interval, credit[p] + (nowUs - seen[p]));
            seen[p] = nowUs;
            var admitted = credit[p] >= interval;
            if (admitted)
            {
                credit[p] -= interval;
            }

            var result = engine.TryClaim(ClaimRequest.Hold(calendar, SlotRange.Single(op % 144), world.Patient(p), TimeSpan.FromSeconds(1)));
            if (admitted == (result.Status == ClaimStatus.RateLimited))
            {
                return false;
            }
        }

        return true;
    }
}
