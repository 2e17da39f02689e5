using SlotEngine.Tests.Support;

namespace SlotEngine.Tests.ConcurrencyTests;

/// <summary>
/// MHRS quotas under concurrency, including the same patient claiming from several threads at once:
/// never more than one live claim per clinic per day, nor two per facility per day.
/// </summary>
public class QuotaStressTests
{
    [Fact]
    public void Same_patient_racing_on_many_threads_never_exceeds_a_quota()
    {
        var world = new TestWorld();
        var calendars = new[]
        {
            world.Publish(TestWorld.P1, TestWorld.Tomorrow), // clinic 10, facility 1
            world.Publish(TestWorld.P2, TestWorld.Tomorrow, TestWorld.Wide), // clinic 10, facility 1
            world.Publish(TestWorld.P3, TestWorld.Tomorrow, TestWorld.Template(20, 3, "08:00-12:00", "13:00-17:00")), // clinic 11, facility 1
            world.Publish(TestWorld.P4, TestWorld.Tomorrow), // clinic 20, facility 2
            world.Publish(TestWorld.P1, TestWorld.Today.AddDays(2)), // another day
        };
        var driver = new StressDriver(world, calendars, StressDriver.ThreadCount) { Patients = 3 };
        driver.Run(operationsPerThread: 15_000);

        var checker = new HistoryChecker(driver.History.All());
        checker.CheckNoTwoOwners();
        world.AssertInvariants();
        Assert.True(checker.Claims.Count() > 100, $"only {checker.Claims.Count()} claims succeeded");

        // Definitely alive: from the end of the claim call to the start of the call that ended it.
        // At no point may a patient have two such intervals in one clinic, or three in one facility.
        var clinicOf = new Dictionary<ProviderId, (int Clinic, int Facility)> { [TestWorld.P1] = (10, 1), [TestWorld.P2] = (10, 1), [TestWorld.P3] = (11, 1), [TestWorld.P4] = (20, 2) };
        foreach (var group in checker.Claims.GroupBy(c => (c.Claim.Reservation.Patient, c.Claim.Reservation.Calendar.Day)))
        {
            var intervals = group.Select(c => (
                From: c.Claim.EndSeq,
                To: c.Ends.Count == 0 ? long.MaxValue : c.Ends.Min(e => e.StartSeq),
                Where: clinicOf[c.Claim.Reservation.Calendar.Provider],
                Claim: c.Claim.Reservation)).Where(i => i.From < i.To).ToList();
            foreach (var point in intervals.Select(i => i.From))
            {
                var alive = intervals.Where(i => i.From <= point && point < i.To).ToList();
                var perClinic = alive.GroupBy(i => i.Where.Clinic).MaxBy(g => g.Count());
                Assert.True(perClinic is null || perClinic.Count() <= 1, $"{group.Key}: two live claims in clinic {perClinic?.Key}: {string.Join(", ", perClinic?.Select(i => i.Claim) ?? [])}");
                var perFacility = alive.GroupBy(i => i.Where.Facility).MaxBy(g => g.Count());
                Assert.True(perFacility is null || perFacility.Count() <= 2, $"{group.Key}: three live claims in facility {perFacility?.Key}");
            }
        }

        // And in the final state.
        var live = checker.LiveAt(world.Time.GetUtcNow().UtcTicks);
        foreach (var group in live.GroupBy(c => (c.Claim.Reservation.Patient, c.Claim.Reservation.Calendar.Day)))
        {
            Assert.All(group.GroupBy(c => clinicOf[c.Claim.Reservation.Calendar.Provider].Clinic), g => Assert.Single(g));
            Assert.All(group.GroupBy(c => clinicOf[c.Claim.Reservation.Calendar.Provider].Facility), g => Assert.InRange(g.Count(), 1, 2));
        }

        checker.CheckFinalState(calendars.ToDictionary(c => c, world.Engine.GetCalendar), world.Time.GetUtcNow().UtcTicks);
    }

    [Fact]
    public void Exactly_one_of_many_simultaneous_claims_by_one_patient_passes_the_clinic_quota()
    {
        var world = new TestWorld();
        var p1 = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var p2 = world.Publish(TestWorld.P2, TestWorld.Tomorrow, TestWorld.Wide);
        var threads = StressDriver.ThreadCount;
        var patient = world.Patient(0);
        const int Rounds = 300;
        var results = new ClaimResult[Rounds, threads];
        using var barrier = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                barrier.SignalAndWait();
                var calendar = t % 2 == 0 ? p1 : p2;
                var slots = new SlotRange(t % 2 == 0 ? t % 18 : 60 + (t % 78), t % 3 == 0 ? 1 : 6); // within one session
                results[round, t] = world.Engine.TryClaim(t % 4 < 2
                    ? ClaimRequest.Hold(calendar, slots, patient, TimeSpan.FromMinutes(5))
                    : ClaimRequest.Book(calendar, slots, patient));
                barrier.SignalAndWait();
                if (t == 0)
                {
                    for (var other = 0; other < threads; other++)
                    {
                        if (results[round, other].Succeeded)
                        {
                            Assert.True(world.Engine.TryRelease(results[round, other].Reservation).Succeeded);
                        }
                    }
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        for (var round = 0; round < Rounds; round++)
        {
            var statuses = Enumerable.Range(0, threads).Select(t => results[round, t].Status).ToList();
            Assert.Equal(1, statuses.Count(s => s == ClaimStatus.Succeeded));
            Assert.All(statuses.Where(s => s != ClaimStatus.Succeeded), s => Assert.Equal(ClaimStatus.QuotaExceeded, s));
        }

        world.AssertInvariants();
    }
}
