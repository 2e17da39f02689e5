using FsCheck.Xunit;

namespace SlotEngine.Tests;

/// <summary>The per-call claim count against a plain model, and under contention.</summary>
public sealed class CallLedgerTests
{
    private const long Retention = 1_000;

    /// <summary>
    /// Random sequences of "claim that succeeds", "claim that fails" and "time passes" against a model
    /// (a count per call that resets when the call's retention ends): the ledger answers as the model does.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool Takes_and_gives_back_as_a_plain_counter_does(byte[] ops, byte limitSeed)
    {
        var limit = (limitSeed % 5) + 1;
        var ledger = new CallLedger();
        var used = new Dictionary<string, (int Used, long Expires)>();
        long now = 0;
        foreach (var op in ops ?? [])
        {
            var call = "c" + (op % 3);
            if (op % 7 == 6)
            {
                now += 300;
                continue;
            }

            var (count, expires) = used.TryGetValue(call, out var m) && m.Expires > now ? m : (0, now + Retention);
            var entry = ledger.TryTake(call, limit, now, Retention);
            if ((entry is not null) != (count < limit))
            {
                return false;
            }

            if (entry is null)
            {
                continue;
            }

            if (op % 2 == 0)
            {
                count++;
            }
            else
            {
                CallLedger.GiveBack(entry);
            }

            used[call] = (count, expires);
            if (ledger.UsedBy(call, now) != count)
            {
                return false;
            }
        }

        return true;
    }

    [Fact]
    public void Many_threads_never_take_more_places_than_the_limit()
    {
        var ledger = new CallLedger();
        var taken = 0;
        Parallel.For(0, 10_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var entry = ledger.TryTake("call", 4, 0, Retention);
            if (entry is null)
            {
                return;
            }

            if (i % 3 == 0)
            {
                CallLedger.GiveBack(entry); // a claim that failed
            }
            else
            {
                Interlocked.Increment(ref taken);
            }
        });
        // Never more than the limit. Fewer is possible: the last iterations can all run while a taker that will give its
        // place back is descheduled (8 threads on 2 cores), so they find the call full. Every place given back is free
        // again afterwards: the places left are exactly the limit minus those kept.
        Assert.InRange(taken, 1, 4);
        Assert.Equal(taken, ledger.UsedBy("call", 0));
        var more = 0;
        while (ledger.TryTake("call", 4, 0, Retention) is not null)
        {
            more++;
        }

        Assert.Equal(4, taken + more);
    }
}
