using SlotEngine.Redis.Tests.Fixtures;

namespace SlotEngine.Redis.Tests.Contract;

/// <summary>The contract against <see cref="RedisSlotEngine"/> on a real standalone redis-server; each engine gets a key prefix of its own.</summary>
public sealed class RedisContractTests(StandaloneServerFixture fixture) : SlotEngineContract, IClassFixture<StandaloneServerFixture>
{
    protected override async Task<ISlotEngine> CreateEngineAsync(SlotEngineOptions options) =>
        await RedisSlotEngine.ConnectAsync(new RedisSlotEngineOptions
        {
            ConnectionString = fixture.Server.Endpoint,
            Engine = SharedSecret(options),
            KeyPrefix = "c" + Guid.NewGuid().ToString("N")[..12] + ":",
            PersistenceCheck = PersistenceCheckMode.Off,
        });

    // Redis mode requires a patient key secret shared by every node.
    private static SlotEngineOptions SharedSecret(SlotEngineOptions options)
    {
        options.PatientKeyHasher ??= PatientKeyHasher.FromSecret("slotengine-tests-shared-patient-secret");
        return options;
    }

    protected override ValueTask DisposeEngineAsync(ISlotEngine engine) => ((RedisSlotEngine)engine).DisposeAsync();
}
