using SlotEngine.Redis.Client;
using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Fixtures;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;
using StackExchange.Redis.Configuration;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// The store's own sockets (<see cref="RedisSlotEngineOptions.StoreSockets"/>, <see cref="SocketTunnel"/>) against a real
/// redis-server: replies matched to their commands under many writing threads, the feed, and connections cut mid-command.
/// </summary>
public sealed class StoreSocketsTests(StandaloneServerFixture fixture) : IClassFixture<StandaloneServerFixture>
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task Many_threads_writing_at_once_each_get_their_own_reply_deferred_or_not()
    {
        var options = ConfigurationOptions.Parse(fixture.Server.Endpoint);
        options.Tunnel = new SocketTunnel(TimeSpan.FromSeconds(5));
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(options);
        var db = multiplexer.GetDatabase();
        var prefix = "sock:" + Guid.NewGuid().ToString("N")[..8] + ":";
        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                var key = (RedisKey)(prefix + worker + ":" + i);
                var value = worker + "/" + i;
                Task<bool> set;
                Task<RedisValue> get;
                var deferred = (i % 2) == 0;
                var outer = deferred ? SocketTransport.DeferSends() : 0;
                try
                {
                    set = db.StringSetAsync(key, value);
                    get = db.StringGetAsync(key);
                }
                finally
                {
                    if (deferred)
                    {
                        SocketTransport.SendDeferred(outer);
                    }
                }

                Assert.True(await set);
                Assert.Equal(value, (string?)await get);
            }
        }));
        await Task.WhenAll(workers);
        var server = multiplexer.GetServer(multiplexer.GetEndPoints()[0]);
        Assert.Equal(8 * 300, await server.KeysAsync(pattern: prefix + "*", pageSize: 1000).CountAsync());
    }

    [Fact]
    public async Task A_connect_to_a_closed_port_fails_and_with_TLS_the_tunnel_leaves_the_socket_to_the_client()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var tunnel = new SocketTunnel(TimeSpan.FromSeconds(5));
#pragma warning disable SER009 // the client's experimental transport seam
        var plain = new TlsOptions(ConfigurationOptions.Parse("127.0.0.1:" + port));
        await Assert.ThrowsAsync<SocketException>(async () => await tunnel.ConnectTransportAsync(new IPEndPoint(IPAddress.Loopback, port), ConnectionType.Interactive, plain, CancellationToken.None));
        var tls = new TlsOptions(ConfigurationOptions.Parse("127.0.0.1:" + port + ",ssl=true"));
        Assert.Null(await tunnel.ConnectTransportAsync(new IPEndPoint(IPAddress.Loopback, port), ConnectionType.Interactive, tls, CancellationToken.None));
#pragma warning restore SER009
    }

    [Fact]
    public async Task Claims_from_many_nodes_have_one_effect_each_and_reach_every_nodes_read_model()
    {
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.StoreSockets = true);
        var writers = new List<RedisSlotEngine>();
        for (var i = 0; i < 4; i++)
        {
            writers.Add(await nodes.AddAsync());
        }

        await writers[0].PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        var watcher = await nodes.AddAsync();
        await watcher.WatchAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Day);
        var ledger = new ClaimLedger();
        for (var round = 0; round < 12; round++)
        {
            var request = ClaimRequest.Book(Calendar, SlotRange.Single(round), ContractWorld.Patient(round), "sock-" + round);
            var results = await Task.WhenAll(writers.Select(w => w.ClaimAsync(request).AsTask()));
            Assert.All(results, r => Assert.True(r.Succeeded, r.ToString()));
            Assert.Single(results.Select(r => r.Reservation).Distinct());
            ledger.Booked(results[0].Reservation);
        }

        // The watcher made no claim: its read model moves by the feed alone, over its own subscription socket.
        await Eventually.TrueAsync(async () => (await watcher.GetCalendarAsync(Calendar)).FreeSeatCount == 48 - 12, "the feed reaches the watcher");
        await ledger.VerifyAsync(watcher, [Calendar]);
    }

    [Fact]
    public async Task Connections_cut_mid_command_reconnect_and_keyed_retries_book_once()
    {
        await using var proxy = new TcpFaultProxy(fixture.Server.Port);
        await using var nodes = new StoreNodes(fixture.Server.Endpoint, o => o.StoreSockets = true);
        var writer = await nodes.AddAsync(o => o.ConnectionString = proxy.Endpoint + ",syncTimeout=2000,connectTimeout=1000");
        var calendars = Enumerable.Range(1, 3).Select(d => new CalendarKey(ContractWorld.Doctor, ContractWorld.Today.AddDays(d))).ToArray();
        foreach (var calendar in calendars)
        {
            await writer.PublishAsync(calendar.Provider, calendar.Day, ContractWorld.Standard);
        }

        var (ledger, _, load) = StoreFaultTests.StartKeyedLoad(writer, calendars, workers: 6, perWorker: 30);
        await StoreFaultTests.CutThriceUnderLoadAsync(proxy, ledger, load, progress: 5);

        await load;
        Assert.True(proxy.Cuts > 0);
        Assert.True(ledger.Acknowledged > 0);
        var reader = await nodes.AddAsync();
        await ledger.VerifyAsync(reader, calendars, k => reader.WatchAsync(k.Provider, k.Day, k.Day));
    }
}
