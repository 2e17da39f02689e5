using SlotEngine.LoadTest.Run;
using SlotEngine.Redis;

namespace SlotEngine.LoadTest.Tests;

/// <summary>
/// Warming the other nodes' read models (<c>--nodes</c>, <c>--node-id</c>) loads only the days a node does not hold: on one
/// standalone server a node that followed the feed while node 0 opened the days laid each one in from its message, and
/// loading it again read the whole calendar back for nothing (2 × 2.25 M reads at national size with three nodes).
/// </summary>
public class NodeWarmTests
{
    [Fact]
    public async Task A_node_that_heard_the_days_open_loads_none_and_a_node_joining_later_loads_what_it_lacks()
    {
        await using var redis = await RedisServer.StartAsync();
        var settings = Runs.SmallRedis(redis, nodes: 2) with { RunId = "warm-" + Guid.NewGuid().ToString("N")[..8] };
        var options = new SlotEngineOptions { PatientKeyHasher = PatientKeyHasher.FromSecret("slotengine-node-warm-tests-shared-secret") };
        var (engines, error) = await Backends.CreateNodesAsync(settings, options, _ => { }, CancellationToken.None);
        Assert.True(engines is not null, error);
        var nodes = engines.Cast<RedisSlotEngine>().ToArray();
        try
        {
            ProviderId[] providers = [new(0), new(1), new(2)];
            foreach (var node in nodes)
            {
                Register(node.Directory, providers);
            }

            var (publisher, follower) = (nodes[0], nodes[1]);
            var days = Enumerable.Range(1, 3).Select(d => publisher.Today.AddDays(d)).ToArray();
            Assert.Equal(9, await publisher.PublishManyAsync(providers.SelectMany(p => days.Select(d => (p, d, DayTemplate.Standard)))));

            // The follower lays every day in from the feed; warming it then loads nothing.
            await Eventually.TrueAsync(async () =>
            {
                foreach (var provider in providers)
                {
                    if ((await follower.GetFreeCountsAsync(provider, days[0], days[^1])).Count < days.Length)
                    {
                        return false;
                    }
                }

                return true;
            }, "the follower to hear the days open");
            foreach (var provider in providers)
            {
                Assert.Equal((0, days.Length), await NodeSetup.WarmProviderAsync(follower, provider, days, CancellationToken.None));
            }

            // A node that joins afterwards holds nothing: every day is loaded; one it watched already is not loaded again.
            var (joined, joinError) = await Backends.CreateNodesAsync(settings with { Nodes = 1 }, options, _ => { }, CancellationToken.None);
            Assert.True(joined is not null, joinError);
            var joiner = (RedisSlotEngine)joined[0];
            await using var _ = joiner;
            Register(joiner.Directory, providers);

            Assert.Equal((days.Length, 0), await NodeSetup.WarmProviderAsync(joiner, providers[0], days, CancellationToken.None));
            Assert.Equal(1, await joiner.WatchAsync(providers[1], days[1], days[1]));
            Assert.Equal((days.Length - 1, 1), await NodeSetup.WarmProviderAsync(joiner, providers[1], days, CancellationToken.None));
            foreach (var provider in providers[..2])
            {
                Assert.Equal(days.Length, (await joiner.GetFreeCountsAsync(provider, days[0], days[^1])).Count);
            }
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static void Register(SlotDirectory directory, ProviderId[] providers)
    {
        directory.AddFacility(new FacilityId(1), new CityCode(34));
        directory.AddClinic(new ClinicId(1), new FacilityId(1), new BranchId(1));
        foreach (var provider in providers)
        {
            directory.AddProvider(provider, new ClinicId(1));
        }
    }
}
