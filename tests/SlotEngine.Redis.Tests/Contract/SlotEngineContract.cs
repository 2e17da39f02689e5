namespace SlotEngine.Redis.Tests.Contract;

/// <summary>
/// The behaviours every <see cref="ISlotEngine"/> must share, run against each implementation by a
/// concrete subclass. No test here depends on time moving: days are chosen inside the booking window by
/// the real clock, "in the past" is today's 00:00 slot, and the cancel cutoff is set so large or so
/// small that the answer cannot change during a test. Time travel lives in engine-specific tests.
/// Split by concern into partial files.
/// </summary>
public abstract partial class SlotEngineContract : IAsyncLifetime
{
    private readonly List<ISlotEngine> _engines = [];

    /// <summary>Creates an engine of the implementation under test, with these options, on a store of its own.</summary>
    protected abstract Task<ISlotEngine> CreateEngineAsync(SlotEngineOptions options);

    /// <summary>Releases what the implementation holds (connections).</summary>
    protected virtual ValueTask DisposeEngineAsync(ISlotEngine engine) => ValueTask.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines)
        {
            await DisposeEngineAsync(engine);
        }
    }

    /// <summary>An engine with the contract's directory and the standard day published for <see cref="ContractWorld.Doctor"/>.</summary>
    protected async Task<ISlotEngine> EngineAsync(Action<SlotEngineOptions>? configure = null, bool publish = true)
    {
        var options = new SlotEngineOptions { TimeZone = ContractWorld.Istanbul };
        configure?.Invoke(options);
        var engine = await CreateEngineAsync(options);
        _engines.Add(engine);
        ContractWorld.Register(engine.Directory);
        if (publish)
        {
            await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        }

        return engine;
    }

    protected static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    protected static ClaimRequest Hold(int first, int patient, int length = 1, string? key = null) =>
        ClaimRequest.Hold(Calendar, new SlotRange(first, length), ContractWorld.Patient(patient), TimeSpan.FromMinutes(10), key);

    protected static ClaimRequest Book(int first, int patient, int length = 1, string? key = null) =>
        ClaimRequest.Book(Calendar, new SlotRange(first, length), ContractWorld.Patient(patient), key);

    protected static async Task<Reservation> SucceedAsync(ValueTask<ClaimResult> claim)
    {
        var result = await claim;
        Assert.True(result.Succeeded, "expected success, got " + result);
        return result.Reservation;
    }

    protected static async Task<ClaimStatus> StatusAsync(ValueTask<ClaimResult> claim) => (await claim).Status;

    protected static async Task<SlotEngineError> ErrorAsync(Func<Task> act) =>
        (await Assert.ThrowsAsync<SlotEngineArgumentException>(act)).Code;
}
