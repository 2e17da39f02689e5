using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Time.Testing;

namespace SlotEngine.Tests;

/// <summary>
/// The city + branch search reads a per-day index of which providers offer which slots; the same
/// search over the same providers by list scans their calendars. The two must always agree.
/// </summary>
[Trait("Category", "Scan")]
public class BranchIndexTests
{
    private const int Providers = 70; // two index words per slot
    private static readonly CityCode City = new(6);
    private static readonly BranchId Branch = new(9);
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 9, 0, 0, TimeSpan.FromHours(3));
    private static readonly DateOnly Day1 = new(2026, 11, 23);

    /// <summary>A failure prints the seed to replay it: <c>[Property(Replay = "(seed1,seed2)")]</c>.</summary>
    [Property(MaxTest = 60)]
    public Property Index_and_scan_agree_after_random_claims_releases_blocks_and_expiries() => Prop.ForAll(
        Gen.Choose(0, int.MaxValue).ToArbitrary(),
        Gen.Choose(20, 400).ToArbitrary(),
        (seed, steps) => RunScript(seed, steps));

    /// <summary>With approval, day 2's bookings start unapproved (until 10:00 on the first day) and confirms make holds unapproved bookings: the index keeps them apart from holds (its held bits), so this churns those bits too.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Index_and_scan_agree_after_concurrent_churn(bool approval)
    {
        var (engine, time, providers, booked) = World(ascendingIds: false, approval);
        var threads = Math.Max(4, Environment.ProcessorCount);
        using var barrier = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var mine = booked.Where((_, i) => i % threads == t).ToList();
            barrier.SignalAndWait();
            for (var i = 0; i < 4_000; i++)
            {
                var provider = providers[random.Next(providers.Length)];
                var key = new CalendarKey(provider, Day1.AddDays(random.Next(2)));
                var patient = new PatientKey((ulong)((t * 1_000_000) + i + 1));
                var roll = random.Next(10);
                if (roll < 5)
                {
                    var result = engine.TryClaim(roll < 2
                        ? ClaimRequest.Hold(key, new SlotRange(random.Next(48), 1), patient, TimeSpan.FromMinutes(5))
                        : ClaimRequest.Book(key, RangeInOneSession(random), patient));
                    if (result.Succeeded)
                    {
                        mine.Add(result.Reservation);
                    }
                }
                else if (roll < 8 && mine.Count > 0)
                {
                    var at = random.Next(mine.Count);
                    engine.TryRelease(mine[at]);
                    mine.RemoveAt(at);
                }
                else if (roll == 8 && mine.Count > 0)
                {
                    var at = random.Next(mine.Count);
                    var confirmed = random.Next(3) == 0 ? engine.TryApprove(mine[at]) : engine.TryConfirm(mine[at]);
                    if (confirmed.Succeeded)
                    {
                        mine[at] = confirmed.Reservation;
                    }
                }
                else
                {
                    engine.FindEarliest(EarliestQuery.ForCityBranch(City, Branch, Day1, Day1.AddDays(1), 1, 5));
                }
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        Support.TestWorld.AssertInvariants(engine);
        AssertAgree(engine, providers);
        time.Advance(TimeSpan.FromMinutes(6)); // every hold has expired: expired holds read as free
        AssertAgree(engine, providers);
        time.Advance(TimeSpan.FromHours(1)); // 10:06: every unapproved booking has lapsed too
        AssertAgree(engine, providers);
        Support.TestWorld.AssertInvariants(engine);
    }

    [Fact]
    public void A_clinic_search_indexes_a_full_day_and_still_finds_what_is_freed_there()
    {
        var (engine, time, providers, _) = World(ascendingIds: false);
        var day = Day1.AddDays(2);
        var clinic = new ClinicId(1);
        var ofClinic = engine.Directory.ProvidersOf(clinic).ToArray();
        var freed = new List<Reservation>();
        var patient = 1_000_000UL;
        foreach (var provider in providers)
        {
            engine.Publish(provider, day, DayTemplate.Standard);
            for (var slot = 0; slot < 48; slot++)
            {
                var claim = engine.TryClaim(provider == ofClinic[^1] && slot == 30
                    ? ClaimRequest.Hold(new CalendarKey(provider, day), SlotRange.Single(slot), new PatientKey(patient++), TimeSpan.FromMinutes(5))
                    : ClaimRequest.Book(new CalendarKey(provider, day), SlotRange.Single(slot), new PatientKey(patient++)));
                Assert.True(claim.Succeeded);
                if (provider == ofClinic[0] && slot == 40)
                {
                    freed.Add(claim.Reservation);
                }
            }
        }

        // No city + branch search has seen the day: the clinic's search scans it, finds nothing, and indexes it.
        var group = engine.Directory.GroupOf(City, Branch)!;
        Assert.Null(group.TryGetIndex(day));
        Assert.Empty(engine.FindEarliest(EarliestQuery.ForClinic(clinic, day, day)));
        Assert.NotNull(group.TryGetIndex(day));
        Assert.Empty(engine.FindEarliest(EarliestQuery.ForClinic(clinic, day, day)));

        // A release on the indexed day is found by the next clinic search, and so is a hold once it has expired.
        Assert.True(engine.TryRelease(freed[0]).Succeeded);
        var found = engine.FindEarliest(EarliestQuery.ForClinic(clinic, day, day, 1, 5));
        Assert.Equal([new CalendarKey(ofClinic[0], day)], found.Select(f => f.Calendar));
        Assert.Equal(40, found[0].Slots.First);
        time.Advance(TimeSpan.FromMinutes(6));
        var afterExpiry = engine.FindEarliest(EarliestQuery.ForClinic(clinic, day, day, 1, 5));
        Assert.Equal(engine.FindEarliest(EarliestQuery.ForProviders(ofClinic, day, day, 1, 5)), afterExpiry);
        Assert.Equal(2, afterExpiry.Count);
        Assert.Null(group.TryGetIndex(day)!.FindBitViolation());
    }

    private static bool RunScript(int seed, int steps)
    {
        var (engine, time, providers, booked) = World(ascendingIds: seed % 2 == 0, approval: seed % 3 == 0);
        var random = new Random(seed);
        var live = booked.ToList();
        for (var step = 0; step < steps; step++)
        {
            var provider = providers[random.Next(providers.Length)];
            var key = new CalendarKey(provider, Day1.AddDays(random.Next(2)));
            var patient = new PatientKey((ulong)random.Next(1, 5_000));
            switch (random.Next(8))
            {
                case 0 or 1 or 2:
                    var result = engine.TryClaim(ClaimRequest.Book(key, RangeInOneSession(random), patient));
                    if (result.Succeeded)
                    {
                        live.Add(result.Reservation);
                    }

                    break;
                case 3:
                    var hold = engine.TryClaim(ClaimRequest.Hold(key, new SlotRange(random.Next(48), 1), patient, TimeSpan.FromMinutes(1 + random.Next(5))));
                    if (hold.Succeeded)
                    {
                        live.Add(hold.Reservation);
                    }

                    break;
                case 4 or 7 when live.Count > 0:
                    var at = random.Next(live.Count);
                    engine.TryRelease(live[at]);
                    live.RemoveAt(at);
                    break;
                case 5:
                    var first = random.Next(48);
                    engine.Block(key, new SlotRange(first, 1 + random.Next(Math.Min(4, 48 - first))));
                    break;
                case 6:
                    engine.Reopen(key, new SlotRange(0, 48));
                    break;
                default:
                    time.Advance(TimeSpan.FromMinutes(random.Next(3)));
                    break;
            }
        }

        AssertAgree(engine, providers);
        Support.TestWorld.AssertInvariants(engine);
        return true;
    }

    /// <summary>One or two slots of the standard template, never across its lunch break (slots 23 | 24).</summary>
    private static SlotRange RangeInOneSession(Random random)
    {
        var first = random.Next(48);
        return new SlotRange(first, first is 23 or 47 ? 1 : 1 + random.Next(2));
    }

    private static void AssertAgree(InMemorySlotEngine engine, ProviderId[] providers)
    {
        foreach (var count in new[] { 1, 3, 25, 200 })
        {
            var byIndex = engine.FindEarliest(EarliestQuery.ForCityBranch(City, Branch, Day1, Day1.AddDays(1), 1, count));
            var byScan = engine.FindEarliest(EarliestQuery.ForProviders(providers, Day1, Day1.AddDays(1), 1, count));
            Assert.Equal(byScan, byIndex);

            // A clinic's search may skip a day by its group's index: it must find what a scan of its providers finds.
            for (var clinic = 1; clinic <= 2; clinic++)
            {
                var ofClinic = engine.Directory.ProvidersOf(new ClinicId(clinic)).ToArray();
                var byClinic = engine.FindEarliest(EarliestQuery.ForClinic(new ClinicId(clinic), Day1, Day1.AddDays(1), 1, count));
                Assert.Equal(engine.FindEarliest(EarliestQuery.ForProviders(ofClinic, Day1, Day1.AddDays(1), 1, count)), byClinic);
            }
        }

        // Quiet now: each day index's offer and free bits are exactly its calendars' truth.
        var group = engine.Directory.GroupOf(City, Branch)!;
        for (var day = Day1; day <= Day1.AddDays(1); day = day.AddDays(1))
        {
            if (group.TryGetIndex(day) is { } index)
            {
                Assert.Null(index.FindBitViolation());
            }
        }
    }

    /// <summary>70 providers of one branch in one city, both days published and every slot booked: whatever a search finds, a release, block, reopen or expiry made.</summary>
    private static (InMemorySlotEngine Engine, FakeTimeProvider Time, ProviderId[] Providers, List<Reservation> Booked) World(bool ascendingIds, bool approval = false)
    {
        var time = new FakeTimeProvider(Start);

        // With approval, day 2 (two days ahead) needs it by 10:00 on the first day (an hour after the start).
        var engine = new InMemorySlotEngine(new SlotEngineOptions { TimeProvider = time, Quotas = QuotaPolicy.None, Approval = approval ? new ApprovalPolicy(2, TimeSpan.FromHours(38)) : ApprovalPolicy.None });
        engine.Directory.AddFacility(new FacilityId(1), City);
        engine.Directory.AddFacility(new FacilityId(2), City);
        engine.Directory.AddClinic(new ClinicId(1), new FacilityId(1), Branch);
        engine.Directory.AddClinic(new ClinicId(2), new FacilityId(2), Branch);

        // Registered in id order (the index can stop at the first free members) or out of it (the
        // index must look at every member of a slot to answer in id order), in two clinics.
        var providers = Enumerable.Range(0, Providers).Select(i => new ProviderId((ascendingIds ? i : (i * 37) % Providers) + 100)).ToArray();
        for (var i = 0; i < providers.Length; i++)
        {
            engine.Directory.AddProvider(providers[i], new ClinicId(1 + (i % 2)));
            engine.Publish(providers[i], Day1, DayTemplate.Standard);
            engine.Publish(providers[i], Day1.AddDays(1), DayTemplate.Standard);
        }

        var booked = new List<Reservation>();
        var patient = 1UL;
        foreach (var provider in providers)
        {
            for (var day = 0; day < 2; day++)
            {
                for (var slot = 0; slot < 48; slot++)
                {
                    var result = engine.TryClaim(ClaimRequest.Book(new CalendarKey(provider, Day1.AddDays(day)), SlotRange.Single(slot), new PatientKey(patient++)));
                    if (result.Succeeded && result.Reservation.IsHold)
                    {
                        result = engine.TryApprove(result.Reservation); // every seat booked, approved: the searches start from nothing
                    }

                    Assert.True(result.Succeeded);
                    booked.Add(result.Reservation);
                }
            }
        }

        Assert.Empty(engine.FindEarliest(EarliestQuery.ForCityBranch(City, Branch, Day1, Day1.AddDays(1))));
        return (engine, time, providers, booked);
    }
}
