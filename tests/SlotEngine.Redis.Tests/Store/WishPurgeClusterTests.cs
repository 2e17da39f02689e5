using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// Purging the waitlist on the three-primary cluster: scopes live under their own tags on different shards, and a
/// node that registered none of them finds and purges them all (SCAN on every primary), leaving current wishes alone.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WishPurgeClusterTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_node_purges_the_passed_wishes_of_every_scope_on_every_shard()
    {
        await using var nodes = new StoreNodes(fixture.Cluster.ConnectionString, o =>
        {
            o.Engine.Quotas = QuotaPolicy.None;
            o.Engine.Waitlist = new WaitlistPolicy(TimeSpan.FromMinutes(15));
        });
        var registering = await nodes.AddAsync();
        var purging = await nodes.AddAsync();
        var yesterday = ContractWorld.Today.AddDays(-1);
        var scopes = new[]
        {
            WaitlistScope.ForClinic(ContractWorld.Clinic),
            WaitlistScope.ForCityBranch(new CityCode(34), new BranchId(1)),
            WaitlistScope.ForCityBranch(new CityCode(6), new BranchId(2)),
            WaitlistScope.ForCityBranch(new CityCode(35), new BranchId(3)),
        };
        var passed = new List<WishTicket>();
        var current = new List<WishTicket>();
        for (var i = 0; i < scopes.Length; i++)
        {
            passed.Add(await registering.RegisterWishAsync(new WishRequest(scopes[i], yesterday, yesterday, 1, ContractWorld.Patient(i))));
            current.Add(await registering.RegisterWishAsync(new WishRequest(scopes[i], ContractWorld.Day, ContractWorld.Day, 1, ContractWorld.Patient(10 + i))));
        }

        Assert.Equal(scopes.Length, await purging.PurgeWishesAsync());

        foreach (var ticket in passed)
        {
            Assert.Null(await registering.GetWishAsync(ticket));
        }

        foreach (var ticket in current)
        {
            Assert.Equal(WishState.Waiting, (await registering.GetWishAsync(ticket))!.State);
        }

        Assert.Empty(await registering.GetWishesAsync(ContractWorld.Patient(0)));
        Assert.Equal(0, await purging.PurgeWishesAsync());
    }
}
