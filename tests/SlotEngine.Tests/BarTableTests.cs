using FsCheck.Xunit;

namespace SlotEngine.Tests;

/// <summary>The bar table's per-patient filter bit against a plain model, and under concurrent bars.</summary>
public sealed class BarTableTests
{
    /// <summary>
    /// Random bars, lifts and checks on patients spread over a wide index range (so the filter's bit array grows while
    /// bars are set) answer as a plain dictionary of ends does: the filter never hides a bar.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Answers_as_a_plain_dictionary_of_bar_ends(int[] ops)
    {
        var table = new BarTable();
        var model = new Dictionary<(uint, int), long>();
        foreach (var op in ops ?? [])
        {
            var patient = (uint)((op & 0x7FFF_FFFF) % 5) * 700_001u; // indexes up to 2.8 M: the bit array grows
            var branch = (op >> 3) & 3;
            var now = (long)((op >> 5) & 15);
            switch ((op >> 9) & 3)
            {
                case 0:
                case 1:
                    var until = now + ((op >> 11) & 7);
                    table.Bar(patient, branch, until);
                    model[(patient, branch)] = Math.Max(until, model.GetValueOrDefault((patient, branch)));
                    break;
                case 2:
                    var lifted = table.Lift(patient, branch, now);
                    var was = model.Remove((patient, branch), out var end) && end > now;
                    if (lifted != was)
                    {
                        return false;
                    }

                    break;
            }

            if (table.IsBarred(patient, branch, now) != (model.TryGetValue((patient, branch), out var e) && e > now))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Threads bar patients at indexes that make the bit array grow, while readers check: a bar set before a check began
    /// (its patient published in a list after <see cref="BarTable.Bar"/> returned) is always seen.
    /// </summary>
    [Fact]
    public async Task A_bar_set_before_a_check_is_seen_while_the_filter_grows()
    {
        var table = new BarTable();
        var published = new uint[20_000];
        var count = 0;
        var missed = 0;
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                var patient = (uint)((i * 2) + w) * 97u; // up to about 1.9 M: many growths
                table.Bar(patient, 7, long.MaxValue);
                published[Interlocked.Increment(ref count) - 1] = patient + 1; // 0: not yet written
            }
        })).ToArray();
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!writers.All(t => t.IsCompleted))
            {
                var seen = Volatile.Read(ref count);
                for (var i = Math.Max(0, seen - 64); i < seen; i++)
                {
                    var p = Volatile.Read(ref published[i]);
                    if (p != 0 && !table.IsBarred(p - 1, 7, 0))
                    {
                        Interlocked.Increment(ref missed);
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(writers.Concat(readers));
        Assert.Equal(0, missed);
        Assert.Equal(20_000, count);
        Assert.All(published, p => Assert.True(table.IsBarred(p - 1, 7, 0)));
        Assert.False(table.IsBarred(1, 7, 0)); // never barred (1 is not a multiple of 97)
        Assert.False(table.IsBarred(97, 6, 0)); // barred from another branch only
    }
}
