// Deliberately outside the SlotEngine.Redis namespace: inside it, SlotEngine.Redis's own names would win
// over any using directive and hide a clash. Both namespaces are imported as a booking API would.
using SlotEngine.Redis;
using StackExchange.Redis;
using Xunit;

namespace SlotEngineNameClashCheck;

/// <summary>Issue 9.4: <c>using StackExchange.Redis; using SlotEngine.Redis;</c> side by side compile without CS0104.</summary>
public sealed class NameClashTests
{
    [Fact]
    public void The_clients_exception_names_bind_to_StackExchange_Redis_with_both_namespaces_imported()
    {
        // This file compiling is the check (an ambiguous name is error CS0104); the asserts say which types they are.
        Type[] client = [typeof(RedisException), typeof(RedisConnectionException), typeof(RedisTimeoutException), typeof(RedisServerException), typeof(RedisCommandException), typeof(ConfigurationOptions), typeof(IConnectionMultiplexer)];
        Assert.All(client, t => Assert.Equal("StackExchange.Redis", t.Namespace));
        Type[] ours = [typeof(RedisSlotEngine), typeof(RedisSlotEngineOptions), typeof(ReplicationTimeoutException), typeof(SlotEngineRedisException), typeof(PersistenceCheckMode), typeof(RedisSlotEngineTelemetry)];
        Assert.All(ours, t => Assert.Equal("SlotEngine.Redis", t.Namespace));
        Assert.True(typeof(RedisException).IsAssignableFrom(typeof(ReplicationTimeoutException)));
    }

    [Fact]
    public void No_public_type_of_SlotEngine_Redis_has_a_name_StackExchange_Redis_uses()
    {
        var theirs = typeof(IConnectionMultiplexer).Assembly.GetExportedTypes().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var clashes = typeof(RedisSlotEngine).Assembly.GetExportedTypes().Where(t => theirs.Contains(t.Name)).Select(t => t.FullName).ToList();
        Assert.Empty(clashes);
    }
}
