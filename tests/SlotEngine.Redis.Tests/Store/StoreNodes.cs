using SlotEngine.Redis.Tests.Contract;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>Several nodes (RedisSlotEngine instances, each its own connection and read model) sharing one key prefix.</summary>
internal sealed class StoreNodes : IAsyncDisposable
{
    /// <summary>The patient key secret every test node shares (Redis mode requires one, and one per key prefix).</summary>
    public static readonly PatientKeyHasher SharedPatientKeys = PatientKeyHasher.FromSecret("slotengine-tests-shared-patient-secret");

    private readonly List<RedisSlotEngine> _nodes = [];

    public StoreNodes(string connectionString, Action<RedisSlotEngineOptions>? configure = null)
    {
        ConnectionString = connectionString;
        Configure = configure;
        Prefix = "s" + Guid.NewGuid().ToString("N")[..10] + ":";
    }

    public string ConnectionString { get; }

    /// <summary>
    /// <c>SLOTENGINE_TEST_STORE_SOCKETS=1</c> runs every node on the store's own sockets
    /// (<see cref="RedisSlotEngineOptions.StoreSockets"/>), to run the suites over them as well.
    /// </summary>
    private static bool StoreSocketsEverywhere { get; } = Environment.GetEnvironmentVariable("SLOTENGINE_TEST_STORE_SOCKETS") == "1";

    public string Prefix { get; }

    private Action<RedisSlotEngineOptions>? Configure { get; }

    public IReadOnlyList<RedisSlotEngine> All => _nodes;

    /// <summary>A new node on the shared prefix, with the contract's directory registered.</summary>
    public async Task<RedisSlotEngine> AddAsync(Action<RedisSlotEngineOptions>? configure = null, string? connectionString = null)
    {
        var options = new RedisSlotEngineOptions
        {
            ConnectionString = connectionString ?? ConnectionString,
            KeyPrefix = Prefix,
            PersistenceCheck = PersistenceCheckMode.Off,
            Engine = new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, PatientKeyHasher = SharedPatientKeys },
        };
        options.StoreSockets = StoreSocketsEverywhere;
        Configure?.Invoke(options);
        configure?.Invoke(options);
        var node = await RedisSlotEngine.ConnectAsync(options);
        ContractWorld.Register(node.Directory);
        _nodes.Add(node);
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }
    }
}
