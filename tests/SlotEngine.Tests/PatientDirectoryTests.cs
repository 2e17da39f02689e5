using FsCheck;
using FsCheck.Fluent;

namespace SlotEngine.Tests;

/// <summary>
/// The patient directory (a <see cref="KeyTable"/> whose addresses are the patients' indexes):
/// one index per patient for good, index → key exact, against a dictionary model and under threads
/// released together, across the growth of its segments.
/// </summary>
public class PatientDirectoryTests
{
    [Fact]
    public void Indexes_match_a_dictionary_model()
    {
        var property = Prop.ForAll(
            Gen.Choose(0, int.MaxValue).ToArbitrary(),
            Gen.Choose(1, 3_000).ToArbitrary(),
            (seed, steps) =>
            {
                var random = new Random(seed);
                var directory = new PatientDirectory();
                var model = new Dictionary<ulong, uint>();
                for (var step = 0; step < steps; step++)
                {
                    var key = (ulong)random.NextInt64(0, 4_000) * 0x1_0000_0001UL;
                    var index = directory.IndexOf(new PatientKey(key));
                    if (key == 0)
                    {
                        Assert.Equal(PatientDirectory.NoPatient, index);
                        Assert.True(directory.KeyAt(index).IsDefault);
                        continue;
                    }

                    if (model.TryGetValue(key, out var known))
                    {
                        Assert.Equal(known, index);
                    }
                    else
                    {
                        Assert.DoesNotContain(index, model.Values);
                        model[key] = index;
                    }

                    Assert.Equal(key, directory.KeyAt(index).Value);
                }

                Assert.Equal(model.Count, directory.Count);
                return true;
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property);
    }

    [Fact]
    public void Threads_released_together_get_one_index_per_patient_across_segment_growth()
    {
        // 150,000 patients: past the first segment (65,536 places) into the second.
        var directory = new PatientDirectory();
        var threads = Math.Max(4, Environment.ProcessorCount);
        const int Patients = 150_000;
        var seen = new (ulong Key, uint Index)[threads][];
        using var barrier = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var random = new Random(t);
            var history = new (ulong, uint)[Patients];
            barrier.SignalAndWait();
            for (var i = 0; i < Patients; i++)
            {
                // Every thread meets every patient, in its own order: each key is raced for.
                var n = (i + (t * 7_919)) % Patients;
                var key = ((ulong)n << 20) | 0xABCDE;
                history[i] = (key, directory.IndexOf(new PatientKey(key)));
                if (random.Next(64) == 0)
                {
                    Assert.Equal(key, directory.KeyAt(history[i].Item2).Value);
                }
            }

            seen[t] = history;
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        var byKey = seen.SelectMany(h => h).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Index).Distinct().ToList());
        Assert.Equal(Patients, byKey.Count);
        Assert.All(byKey, pair => Assert.Single(pair.Value));
        Assert.Equal(Patients, byKey.Values.Select(v => v[0]).Distinct().Count());
        Assert.All(byKey, pair => Assert.Equal(pair.Key, directory.KeyAt(pair.Value[0]).Value));
        Assert.Equal(Patients, directory.Count);
        Assert.True(directory.Capacity > 1 << 16, "the directory never grew");
    }
}
