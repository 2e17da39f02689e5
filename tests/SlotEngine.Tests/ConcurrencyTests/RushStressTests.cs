using System.Collections.Concurrent;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ConcurrencyTests;

/// <summary>The admission rate and reserved pools under many threads.</summary>
public class RushStressTests
{
    /// <summary>
    /// Many threads attempt claims for one patient while the fake clock stands still, then it moves by whole
    /// intervals between rounds: each round admits exactly the tokens the bucket holds (N in the first, k after
    /// k intervals), never one more.
    /// </summary>
    [Fact]
    public void Many_threads_for_one_patient_are_never_admitted_more_than_the_bucket_allows()
    {
        const int Attempts = 7;
        var window = TimeSpan.FromSeconds(70);
        var world = new TestWorld(o =>
        {
            o.Admission = new AdmissionRate(Attempts, window);
            o.Quotas = QuotaPolicy.None;
        });
        var calendar = world.Publish(TestWorld.P1, TestWorld.Tomorrow, TestWorld.Wide);
        var patient = world.Patient(1);
        var interval = window / Attempts;
        int[] refills = [Attempts, 1, 3, Attempts, Attempts * 2];
        for (var round = 0; round < refills.Length; round++)
        {
            var admitted = 0;
            Parallel.For(0, Environment.ProcessorCount * 4, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, t =>
            {
                for (var i = 0; i < 200; i++)
                {
                    var result = world.Engine.TryClaim(ClaimRequest.Hold(calendar, SlotRange.Single((t + i) % 144), patient, TimeSpan.FromSeconds(1)));
                    if (result.Status != ClaimStatus.RateLimited)
                    {
                        Interlocked.Increment(ref admitted);
                    }
                }
            });

            Assert.Equal(Math.Min(refills[round], Attempts), admitted);
            if (round + 1 < refills.Length)
            {
                world.Time.Advance(interval * refills[round + 1]);
            }
        }
    }

    /// <summary>
    /// Threads of pool and non-pool patients race for a capacity-3 day whose top two seats of every other slot are
    /// reserved until 24 hours before the day: before the release no non-pool claim ever holds a reserved seat, and
    /// the reserved seats go to the pool; after it, the seats left go to anyone, and no seat has two owners.
    /// </summary>
    [Fact]
    public void No_claim_outside_the_pool_gets_a_reserved_seat_before_the_release()
    {
        const int Capacity = 3;
        var world = new TestWorld(o =>
        {
            o.Reserved = new ReservedCapacity("fd", 2, 2, TimeSpan.FromHours(24));
            o.Quotas = QuotaPolicy.None;
        });
        var day = TestWorld.Today.AddDays(3);
        var calendar = world.Publish(TestWorld.P1, day, TestWorld.Template(5, Capacity, "08:00-12:00"));
        var poolPatients = Enumerable.Range(0, 8).Select(world.Patient).ToHashSet();
        var everyone = Enumerable.Range(0, 16).Select(world.Patient).ToArray();

        ConcurrentBag<(Reservation Claim, bool Pool)> Race()
        {
            var won = new ConcurrentBag<(Reservation, bool)>();
            Parallel.For(0, Environment.ProcessorCount * 4, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, t =>
            {
                for (var i = 0; i < 400; i++)
                {
                    var patient = everyone[(t * 7 + i) % everyone.Length];
                    var pool = poolPatients.Contains(patient);
                    var request = ClaimRequest.Book(calendar, SlotRange.Single(i % 48), patient) with { Pool = pool ? "fd" : null };
                    var result = world.Engine.TryClaim(request);
                    if (result.Succeeded)
                    {
                        won.Add((result.Reservation, pool));
                    }
                }
            });
            return won;
        }

        var before = Race();
        Assert.All(before.Where(w => !w.Pool && w.Claim.Slots.First % 2 == 0), w => Assert.Equal(0, w.Claim.Seat));
        Assert.Contains(before, w => w.Pool && w.Claim.Seat > 0);
        var snapshot = world.Engine.GetCalendar(calendar);
        for (var slot = 0; slot < 48; slot += 2)
        {
            for (var seat = 1; seat < Capacity; seat++)
            {
                var view = snapshot[slot, seat];
                Assert.True(view.Status == SlotStatus.Free || poolPatients.Contains(view.Owner), $"slot {slot} seat {seat}: {view.Status} by a non-pool patient");
            }
        }

        world.Time.Advance(day.ToDateTime(TimeOnly.MinValue) - world.Time.GetUtcNow().ToOffset(TestWorld.Istanbul).DateTime - TimeSpan.FromHours(24));
        var after = Race();
        var all = before.Concat(after).Select(w => w.Claim).ToList();
        Assert.Equal(all.Count, all.Select(c => (c.Slots.First, c.Seat)).Distinct().Count());
        Assert.Null(world.Engine.FindQuiescentViolation());
    }
}
