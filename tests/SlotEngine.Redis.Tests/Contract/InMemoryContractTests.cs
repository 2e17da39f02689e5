namespace SlotEngine.Redis.Tests.Contract;

/// <summary>The contract against the in-memory engine.</summary>
public sealed class InMemoryContractTests : SlotEngineContract
{
    protected override Task<ISlotEngine> CreateEngineAsync(SlotEngineOptions options) =>
        Task.FromResult<ISlotEngine>(new InMemorySlotEngine(options));
}
