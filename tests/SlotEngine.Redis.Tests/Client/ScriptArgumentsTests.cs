using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Client;

/// <summary>
/// The script calls' reused arrays (<see cref="ScriptArguments"/>): always of the exact length asked, always cleared, and a
/// thread's own slots in front of the shared queues give back what that thread returned.
/// </summary>
public sealed class ScriptArgumentsTests
{
    /// <summary>A length no store call uses (its claims send up to about forty), so the shared queue of it is this test's alone in practice.</summary>
    private const int Length = 63;

    [Fact]
    public void Arrays_come_back_cleared_and_of_the_exact_length_on_the_thread_that_returned_them_and_on_another()
    {
        RedisValue[][] returned = [];
        RedisValue[][] again = [];
        RunOnNewThread(() =>
        {
            returned = [ScriptArguments.Rent(Length), ScriptArguments.Rent(Length), ScriptArguments.Rent(Length)];
            foreach (var array in returned)
            {
                array.AsSpan().Fill("patient");
                ScriptArguments.Return(array);
            }

            again = [ScriptArguments.Rent(Length), ScriptArguments.Rent(Length)];
        });

        // The thread's own two slots hold two of the three it returned (the third went to the shared queue).
        Assert.All(again, array => Assert.Contains(array, returned));
        Assert.NotSame(again[0], again[1]);

        RedisValue[] elsewhere = [];
        RunOnNewThread(() => elsewhere = ScriptArguments.Rent(Length));

        foreach (var array in (RedisValue[][])[.. again, elsewhere])
        {
            Assert.Equal(Length, array.Length);
            Assert.All(array, value => Assert.True(value.IsNull));
        }
    }

    [Fact]
    public void Lengths_past_the_kept_ones_and_zero_are_made_fresh()
    {
        Assert.Empty(ScriptArguments.Rent(0));
        var longer = ScriptArguments.Rent(65);
        Assert.Equal(65, longer.Length);
        ScriptArguments.Return(longer);
        Assert.NotSame(longer, ScriptArguments.Rent(65));
    }

    private static void RunOnNewThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Null(failure);
    }
}
