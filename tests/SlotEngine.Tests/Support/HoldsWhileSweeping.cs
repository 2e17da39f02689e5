namespace SlotEngine.Tests.Support;

/// <summary>
/// Two threads hold seats at random while a third sweeps without pause and the clock moves on: the concurrent half of
/// the sweep tests (the sweep list, parking). Each worker makes 2,000 two-minute holds of one slot below
/// <c>slots</c> on a random calendar of <c>keys</c>, for its own patients (0 to 3,999). The sweeper calls
/// <c>sweep</c> while the workers run, and on until the clock has moved 30 minutes, one second per sweep: had the
/// machine given it little time during the holds (a loaded runner), no hold would have expired while it swept.
/// </summary>
internal static class HoldsWhileSweeping
{
    /// <summary>Runs the workers and the sweeper to the end.</summary>
    /// <param name="world">The engine and its clock.</param>
    /// <param name="keys">The calendars to hold on.</param>
    /// <param name="slots">Holds take one of the slots 0 to <paramref name="slots"/> - 1.</param>
    /// <param name="sweep">One sweep (and whatever the test records after it).</param>
    /// <returns>How many holds succeeded.</returns>
    public static int Run(TestWorld world, CalendarKey[] keys, int slots, Action sweep)
    {
        var patients = Enumerable.Range(0, 4_000).Select(world.Patient).ToArray();
        var held = 0;
        var sweeping = true;
        var sweeper = new Thread(() =>
        {
            var moved = TimeSpan.Zero;
            while (Volatile.Read(ref sweeping) || moved < TimeSpan.FromMinutes(30))
            {
                sweep();
                if (moved < TimeSpan.FromMinutes(30))
                {
                    // Holds expire while others are made (2-minute holds over up to 30 minutes).
                    world.Time.Advance(TimeSpan.FromSeconds(1));
                    moved += TimeSpan.FromSeconds(1);
                }
            }
        });
        sweeper.Start();
        Parallel.For(0, 2, worker =>
        {
            var random = new Random(worker);
            for (var i = 0; i < 2_000; i++)
            {
                var key = keys[random.Next(keys.Length)];
                var request = ClaimRequest.Hold(key, new SlotRange(random.Next(slots), 1), patients[(worker * 2_000) + i], TimeSpan.FromMinutes(2));
                if (world.Engine.TryClaim(request).Succeeded)
                {
                    Interlocked.Increment(ref held);
                }
            }
        });
        Volatile.Write(ref sweeping, false);
        sweeper.Join();
        return held;
    }
}
