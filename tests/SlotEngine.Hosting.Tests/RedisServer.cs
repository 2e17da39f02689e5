namespace SlotEngine.Hosting.Tests;

/// <summary>
/// An xunit fixture over the shared launcher in tests/SlotEngine.TestSupport: a throw-away redis-server on a
/// free loopback port, without persistence; killed on dispose.
/// </summary>
public sealed class RedisServer : IAsyncLifetime
{
    private global::SlotEngine.TestSupport.RedisServer? _server;

    public int Port => Server.Port;

    public string ConnectionString => Server.Endpoint;

    private global::SlotEngine.TestSupport.RedisServer Server => _server ?? throw new InvalidOperationException("The Redis fixture has not started.");

    public async Task InitializeAsync() => _server = await global::SlotEngine.TestSupport.RedisServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
