using FsCheck;
using FsCheck.Fluent;

namespace SlotEngine.Tests;

/// <summary>
/// <see cref="KeyTable"/>, the insert-only lock-free table under the patient directory and the
/// quota ledger: against a plain dictionary (random operations, tiny first segment so that keys
/// spill into later segments), and with threads released together inserting overlapping keys.
/// </summary>
public class KeyTableTests
{
    [Fact]
    public void Matches_a_dictionary_model_over_random_operations()
    {
        var property = Prop.ForAll(
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            Gen.Choose(1, 1_500).ToArbitrary(),
            Gen.Choose(8, 3_000).ToArbitrary(),
            (seed, steps, universe) => RunScript(seed, steps, universe));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(80), property);
    }

    [Fact]
    public void A_full_table_says_so_and_keeps_what_it_has()
    {
        // One segment of 64 places (the cap allows no second one).
        var table = new KeyTable(firstBits: 6, payloadLength: 0, maxPlaces: 64);
        var inserted = new Dictionary<ulong, long>();
        var full = false;
        for (var key = 1UL; key <= 200 && !full; key++)
        {
            try
            {
                inserted[key] = table.GetOrAdd(key * 0x1234567, out _);
            }
            catch (InvalidOperationException)
            {
                full = true;
            }
        }

        Assert.True(full, "200 keys fit in 64 places");
        Assert.Equal(inserted.Count, table.Count);
        Assert.All(inserted, pair => Assert.Equal(pair.Value, table.Find(pair.Key * 0x1234567, out _)));
    }

    [Fact]
    public void Threads_released_together_agree_on_one_place_per_key()
    {
        // Tiny first segment: the race runs through three segment allocations.
        var table = new KeyTable(firstBits: 6, payloadLength: 2);
        var threads = Math.Max(4, Environment.ProcessorCount);
        const int Keys = 20_000;
        const int OperationsPerThread = 40_000;
        var histories = new List<(ulong Key, long Address)>[threads];
        using var barrier = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var history = new List<(ulong, long)>(OperationsPerThread);
            barrier.SignalAndWait();
            for (var i = 0; i < OperationsPerThread; i++)
            {
                // Overlapping keys, each a few threads' at once; a few keys very hot.
                var key = KeyOf(random.Next(8) == 0 ? random.Next(16) : random.Next(Keys));
                var address = random.Next(4) == 0 ? table.Find(key, out var place) : table.GetOrAdd(key, out place);
                if (address >= 0)
                {
                    Interlocked.Increment(ref place.Payload(0));
                    Interlocked.Add(ref place.Payload(1), unchecked((long)key));
                }

                history.Add((key, address));
            }

            histories[t] = history;
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        // Each key had exactly one address in every thread's history, and no two keys shared one.
        var all = histories.SelectMany(h => h).ToList();
        var addressOf = all.Where(e => e.Address >= 0).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Address).Distinct().ToList());
        Assert.All(addressOf, pair => Assert.Single(pair.Value));
        Assert.Equal(addressOf.Count, addressOf.Values.Select(a => a[0]).Distinct().Count());
        Assert.Equal(addressOf.Count, table.Count);
        Assert.True(table.Capacity > 64, "the race never grew the table");

        // Every successful call landed its increments on the key's one place.
        foreach (var (key, addresses) in addressOf)
        {
            Assert.Equal(key, table.KeyAt(addresses[0]));
            var found = table.Find(key, out var place);
            Assert.Equal(addresses[0], found);
            var calls = all.Count(e => e.Key == key && e.Address >= 0);
            Assert.Equal(calls, Volatile.Read(ref place.Payload(0)));
            Assert.Equal(unchecked((long)key * calls), Volatile.Read(ref place.Payload(1)));
        }

        // A Find that missed was a key nobody had inserted yet: it is in the table now only if some call inserted it.
        Assert.All(all.Where(e => e.Address < 0), e => Assert.True(addressOf.ContainsKey(e.Key) || table.Find(e.Key, out _) < 0));
    }

    private static ulong KeyOf(int n) => unchecked((ulong)n * 0x9E3779B97F4A7C15UL) ^ 0x5555_0000_0000_0001UL;

    private static bool RunScript(int seed, int steps, int universe)
    {
        var random = new Random(seed);
        var table = new KeyTable(firstBits: 6, payloadLength: 1, growthBits: 1 + (seed % 4));
        var model = new Dictionary<ulong, long>();
        var payload = new Dictionary<ulong, long>();
        for (var step = 0; step < steps; step++)
        {
            // Keys from a small universe (repeats), sometimes clustered (neighbouring hashes collide).
            var key = random.Next(3) == 0 ? (ulong)random.Next(1, 64) : KeyOf(random.Next(universe));
            switch (random.Next(4))
            {
                case 0:
                case 1:
                    {
                        var address = table.GetOrAdd(key, out var place);
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
                        var address = table.Find(key, out var place);
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
                        break;
                    }
            }

            Assert.Equal(model.Count, table.Count);
        }

        return true;
    }
}
