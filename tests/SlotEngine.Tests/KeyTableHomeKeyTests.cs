using FsCheck;
using FsCheck.Fluent;
using SlotEngine.Tests.Support;

namespace SlotEngine.Tests;

/// <summary>
/// <see cref="KeyTable"/> with home keys (several keys sharing one probe window, as the quota ledger's clinic and
/// facility keys of a patient's day do): against a dictionary model, with threads racing on keys that share homes, and
/// the quota ledger's keys of the two scopes kept apart when a clinic and a facility have the same id.
/// </summary>
public class KeyTableHomeKeyTests
{
    [Fact]
    public void Keys_sharing_homes_match_a_dictionary_model()
    {
        var property = Prop.ForAll(
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            Gen.Choose(1, 1_500).ToArbitrary(),
            Gen.Choose(1, 40).ToArbitrary(),
            (seed, steps, keysPerHome) => RunScript(seed, steps, keysPerHome));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(80), property);
    }

    [Fact]
    public void Threads_racing_on_keys_that_share_homes_agree_on_one_place_per_key()
    {
        // 48 keys per home: more than a window holds, so keys spill into later segments while threads race.
        var table = new KeyTable(firstBits: 6, payloadLength: 1, growthBits: 2);
        var threads = Math.Max(4, Environment.ProcessorCount);
        const int Homes = 200;
        const int KeysPerHome = 48;
        const int OperationsPerThread = 30_000;
        var histories = new List<(ulong Key, long Address)>[threads];
        using var barrier = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var history = new List<(ulong, long)>(OperationsPerThread);
            barrier.SignalAndWait();
            for (var i = 0; i < OperationsPerThread; i++)
            {
                var home = (ulong)random.Next(random.Next(4) == 0 ? 3 : Homes);
                var key = KeyOf(home, (ulong)random.Next(KeysPerHome));
                var address = random.Next(4) == 0 ? table.Find(key, HomeOf(key), out var place) : table.GetOrAdd(key, HomeOf(key), out place);
                if (address >= 0)
                {
                    Interlocked.Increment(ref place.Payload(0));
                }

                history.Add((key, address));
            }

            histories[t] = history;
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        var all = histories.SelectMany(h => h).ToList();
        var addressOf = all.Where(e => e.Address >= 0).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Address).Distinct().ToList());
        Assert.All(addressOf, pair => Assert.Single(pair.Value));
        Assert.Equal(addressOf.Count, addressOf.Values.Select(a => a[0]).Distinct().Count());
        Assert.Equal(addressOf.Count, table.Count);
        foreach (var (key, addresses) in addressOf)
        {
            Assert.Equal(key, table.KeyAt(addresses[0]));
            Assert.Equal(addresses[0], table.Find(key, HomeOf(key), out var place));
            Assert.True(table.PlaceAt(addresses[0], out var at));
            Assert.Equal(unchecked((long)key), Volatile.Read(ref at.Key));
            Assert.Equal(all.Count(e => e.Key == key && e.Address >= 0), Volatile.Read(ref place.Payload(0)));
        }
    }

    [Fact]
    public void A_clinic_and_a_facility_with_the_same_id_keep_their_own_quotas()
    {
        // Clinic 1 at facility 1, and clinic -5 at facility -5 (ids are any int): the two scopes' keys of one patient
        // share a table and a home, and must still be two keys.
        var world = new TestWorld(o => o.Quotas = new QuotaPolicy([new QuotaRule(QuotaScope.Clinic, 1), new QuotaRule(QuotaScope.Facility, 3)]));
        world.Engine.Directory.AddFacility(new FacilityId(-5), TestWorld.Istanbul34);
        world.Engine.Directory.AddClinic(new ClinicId(1), new FacilityId(1), new BranchId(8));
        world.Engine.Directory.AddClinic(new ClinicId(-5), new FacilityId(-5), new BranchId(8));
        world.Engine.Directory.AddClinic(new ClinicId(-6), new FacilityId(-5), new BranchId(9));
        world.Engine.Directory.AddProvider(new ProviderId(10), new ClinicId(1));
        world.Engine.Directory.AddProvider(new ProviderId(11), new ClinicId(-5));
        world.Engine.Directory.AddProvider(new ProviderId(12), new ClinicId(-6));
        var clinic1 = world.Publish(new ProviderId(10), TestWorld.Tomorrow);
        var clinicMinus5 = world.Publish(new ProviderId(11), TestWorld.Tomorrow);
        var clinicMinus6 = world.Publish(new ProviderId(12), TestWorld.Tomorrow);
        var p1 = world.Publish(TestWorld.P1, TestWorld.Tomorrow);
        var p3 = world.Publish(TestWorld.P3, TestWorld.Tomorrow);

        world.MustBook(clinic1, 0, 1, patient: 0);
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Book(clinic1, 1, 1, patient: 0).Status); // clinic 1: its one
        world.MustBook(p1, 0, 1, patient: 0); // clinic 10, facility 1: second of three
        world.MustBook(p3, 0, 1, patient: 0); // clinic 11, facility 1: third of three
        world.MustBook(clinicMinus5, 0, 1, patient: 0);
        Assert.Equal(ClaimStatus.QuotaExceeded, world.Book(clinicMinus5, 1, 1, patient: 0).Status);
        world.MustBook(clinicMinus6, 0, 1, patient: 0); // facility -5: second of three
        Assert.Equal(7, world.Engine.QuotaLedger.KeysOn(TestWorld.Tomorrow)); // facilities 1 and -5, clinics 1, 10, 11, -5, -6
    }

    private static ulong HomeOf(ulong key) => (key >> 8) + 1;

    private static ulong KeyOf(ulong home, ulong n) => (home << 8) | (n + 1);

    private static bool RunScript(int seed, int steps, int keysPerHome)
    {
        var random = new Random(seed);
        var table = new KeyTable(firstBits: 6, payloadLength: 1, growthBits: 1 + (seed % 4));
        var model = new Dictionary<ulong, long>();
        var payload = new Dictionary<ulong, long>();
        for (var step = 0; step < steps; step++)
        {
            var key = KeyOf((ulong)random.Next(1 + (steps / keysPerHome)), (ulong)random.Next(keysPerHome));
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    {
                        var address = table.GetOrAdd(key, HomeOf(key), out var place);
                        if (model.TryGetValue(key, out var known))
                        {
                            Assert.Equal(known, address);
                        }
                        else
                        {
                            Assert.DoesNotContain(address, model.Values);
                            model[key] = address;
                        }

                        place.Payload(0) += step;
                        payload[key] = payload.GetValueOrDefault(key) + step;
                        break;
                    }

                case 2:
                    {
                        var address = table.Find(key, HomeOf(key), out var place);
                        Assert.Equal(model.TryGetValue(key, out var known) ? known : -1, address);
                        if (address >= 0)
                        {
                            Assert.Equal(payload[key], place.Payload(0));
                        }

                        break;
                    }

                default:
                    {
                        var address = random.Next(2) == 0 && model.Count > 0 ? model.Values.ElementAt(random.Next(model.Count)) : random.Next(40_000);
                        var expected = model.FirstOrDefault(pair => pair.Value == address).Key;
                        Assert.Equal(expected, table.KeyAt(address));
                        if (expected != 0)
                        {
                            Assert.True(table.PlaceAt(address, out var place));
                            Assert.Equal(payload[expected], place.Payload(0));
                        }

                        break;
                    }
            }

            Assert.Equal(model.Count, table.Count);
        }

        return true;
    }
}
