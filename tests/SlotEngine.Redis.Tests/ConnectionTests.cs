using SlotEngine.Redis.Tests.Contract;
using SlotEngine.Redis.Tests.Store;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests;

/// <summary>How the store connects: abortConnect=false, the host's multiplexer, TLS with certificate validation.</summary>
public sealed class ConnectionTests
{
    private static CalendarKey Calendar => new(ContractWorld.Doctor, ContractWorld.Day);

    [Fact]
    public async Task With_abortConnect_false_the_store_starts_without_Redis_reports_unhealthy_and_recovers_when_it_arrives()
    {
        var port = FreePort.Next();
        await using var nodes = new StoreNodes($"127.0.0.1:{port},abortConnect=false,connectTimeout=500,connectRetry=1,syncTimeout=1000");
        var node = await nodes.AddAsync();
        Assert.Equal(RedisSlotEngineHealthStatus.Unhealthy, (await node.CheckHealthAsync()).Status);
        await Assert.ThrowsAnyAsync<Exception>(async () => await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard));

        await using var server = await RedisServer.StartAsync(new RedisServerOptions { Port = port });
        await Eventually.TrueAsync(async () => (await node.CheckHealthAsync()).Status == RedisSlotEngineHealthStatus.Healthy, "the store to reach Redis", TimeSpan.FromSeconds(60));
        await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
        Assert.True((await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(1), ContractWorld.Patient(1)))).Succeeded);

        // The change feed was subscribed once Redis came: a second node's change reaches this one's read model.
        var other = await nodes.AddAsync();
        Assert.True((await other.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(2), ContractWorld.Patient(2)))).Succeeded);
        await Eventually.TrueAsync(() => node.ReadModel.GetCalendar(Calendar)[2].Status == SlotStatus.Booked, "the first node's read model to follow the second node's claim");
    }

    [Theory]
    [InlineData("10.0.0.5:6379,10.0.0.6:6379,defaultDatabase=2,keepAlive=30,connectTimeout=5000")]
    [InlineData("sentinel1:26379,sentinel2:26379,serviceName=mymaster,password=x")]
    [InlineData("redis.example:6380,ssl=true,sslProtocols=Tls12,sslHost=redis.example,abortConnect=false")]
    [InlineData("10.0.0.5:6379,user=slots,password=p,protocol=resp3")]
    public void StackExchange_Redis_connection_strings_are_accepted_as_they_are(string connectionString) =>
        new RedisSlotEngineOptions { ConnectionString = connectionString, Engine = new SlotEngineOptions { PatientKeyHasher = StoreNodes.SharedPatientKeys } }.Validate();

    [Fact]
    public void A_malformed_connection_string_is_refused_naming_the_option()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new RedisSlotEngineOptions { ConnectionString = "127.0.0.1:6379,notAnOption=1", Engine = new SlotEngineOptions { PatientKeyHasher = StoreNodes.SharedPatientKeys } }.Validate());
        Assert.Equal(nameof(RedisSlotEngineOptions.ConnectionString), error.ParamName);
    }

    [Fact]
    public async Task The_hosts_multiplexer_is_shared_and_not_disposed_with_the_store()
    {
        await using var server = await RedisServer.StartAsync();
        await using var multiplexer = await ConnectionMultiplexer.ConnectAsync(server.Endpoint);
        var prefix = "m" + Guid.NewGuid().ToString("N")[..10] + ":";
        var options = new RedisSlotEngineOptions
        {
            Multiplexer = multiplexer,
            KeyPrefix = prefix,
            PersistenceCheck = PersistenceCheckMode.Off,
            Engine = new SlotEngineOptions { TimeZone = ContractWorld.Istanbul, PatientKeyHasher = StoreNodes.SharedPatientKeys },
        };
        await using (var engine = await RedisSlotEngine.ConnectAsync(options))
        {
            ContractWorld.Register(engine.Directory);
            Assert.Same(multiplexer, engine.Multiplexer);
            await engine.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
            Assert.True((await engine.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(1), ContractWorld.Patient(1)))).Succeeded);
        }

        Assert.True(multiplexer.IsConnected);
        Assert.Equal("PONG", (string?)await multiplexer.GetDatabase().ExecuteAsync("PING"));
    }

    [Fact]
    public async Task Over_TLS_the_store_validates_the_servers_certificate_against_the_CA()
    {
        var directory = Path.Combine(Path.GetTempPath(), "slotengine-tls-" + Guid.NewGuid().ToString("N"));
        var tls = RedisTls.CreateFiles(directory);
        try
        {
            await using var server = await RedisServer.StartAsync(new RedisServerOptions { Tls = tls });
            ConfigurationOptions Tls(bool trustCa)
            {
                var configuration = new ConfigurationOptions { EndPoints = { { "127.0.0.1", server.TlsPort } }, Ssl = true, SslHost = "localhost", ConnectTimeout = 3000, AbortOnConnectFail = true };
                if (trustCa)
                {
                    configuration.TrustIssuer(tls.CaCertificate);
                }

                return configuration;
            }

            await using var nodes = new StoreNodes(server.Endpoint);
            var node = await nodes.AddAsync(o => { o.ConnectionString = null; o.Configuration = Tls(trustCa: true); });
            await node.PublishAsync(ContractWorld.Doctor, ContractWorld.Day, ContractWorld.Standard);
            Assert.True((await node.ClaimAsync(ClaimRequest.Book(Calendar, SlotRange.Single(1), ContractWorld.Patient(1)))).Succeeded);
            // The store's only endpoint is the TLS port, which speaks nothing but TLS.
            Assert.Equal([server.TlsPort], node.Multiplexer.GetEndPoints().Select(e => ((System.Net.IPEndPoint)e).Port));

            // Without the CA the certificate does not validate, and the connect fails.
            await Assert.ThrowsAsync<RedisConnectionException>(() => nodes.AddAsync(o => { o.ConnectionString = null; o.Configuration = Tls(trustCa: false); }));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
