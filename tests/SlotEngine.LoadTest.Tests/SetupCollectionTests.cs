using SlotEngine.LoadTest.Run;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// What is live when the load starts is in the oldest generation: the setup's collection left what was young at its end
/// in gen1 (a full collection promotes by one generation), and the load's first gen1 collection then had to promote it
/// all into gen2, past gen2's budget: a full blocking collection in the window (docs/redis-scale.md).
/// </summary>
public class SetupCollectionTests
{
    [Fact]
    public void Objects_made_just_before_the_setup_collection_are_in_the_oldest_generation_after_it()
    {
        // Young survivors, as the warm-up's bookings and the last setup steps leave them: made just now, still referenced.
        var survivors = new List<object>();
        for (var i = 0; i < 10_000; i++)
        {
            survivors.Add(new byte[64]);
        }

        Assert.Equal(0, GC.GetGeneration(survivors[^1]));

        LoadRun.CollectSetupGarbage();

        Assert.All(survivors, s => Assert.Equal(GC.MaxGeneration, GC.GetGeneration(s)));
        GC.KeepAlive(survivors);
    }
}
