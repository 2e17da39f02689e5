using BenchmarkDotNet.Attributes;
using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>
/// One booking's round trips on the Redis store, one at a time against a redis-server started here (loopback, no
/// persistence): hold + confirm + release of one slot on the public API (three script calls; the slot is free again
/// after each), beside the client's floor, one <c>EVALSHA</c> of a one-line script through the store's client adapter
/// (baseline). Allocated bytes are the whole process's (the client's reader thread included), so they show what a
/// booking costs the client beside what StackExchange.Redis costs per call. No quotas, no idempotency key: the
/// patient-side scripts are measured by the load generator.
/// </summary>
[MemoryDiagnoser]
public class RedisBookingBenchmarks
{
    private const int Slot = 10;
    private static readonly RedisScript One = new("return 1");
    private RedisServerProcess _server = null!;
    private EngineWorkload _workload = null!;
    private ClaimRequest _hold;
    private long _failures;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (_failures != 0)
        {
            throw new InvalidOperationException($"{_failures} bookings failed during the run: the numbers are not of the success path.");
        }
    }

    [Benchmark(Baseline = true, Description = "Client floor: EVALSHA 'return 1'")]
    public async Task<bool> ClientFloor() =>
        Check((await _workload.Engine.Connection.EvalShaAsync(One, Array.Empty<RedisKey>(), Array.Empty<RedisValue>()).ConfigureAwait(false)).AsInt64() == 1);

    [Benchmark(Description = "Store: hold + confirm + release")]
    public async Task<bool> HoldConfirmRelease()
    {
        var engine = _workload.Engine;
        var hold = await engine.ClaimAsync(_hold).ConfigureAwait(false);
        if (!hold.Succeeded)
        {
            return Check(false);
        }

        var booking = await engine.ConfirmAsync(hold.Reservation).ConfigureAwait(false);
        return Check(booking.Succeeded && (await engine.ReleaseAsync(booking.Reservation).ConfigureAwait(false)).Succeeded);
    }

    private async Task SetupAsync()
    {
        _server = await RedisServerProcess.StartAsync().ConfigureAwait(false);
        _workload = await EngineWorkload.ConnectAsync(_server.Endpoint, providers: 1, cluster: false).ConfigureAwait(false);
        await _workload.PublishAsync(0, 1).ConfigureAwait(false);
        _hold = ClaimRequest.Hold(_workload.Calendar(0), SlotRange.Single(Slot), _workload.Patient(1), TimeSpan.FromMinutes(5));

        // Each path once before measuring: it must succeed and leave the slot free again.
        if (!await ClientFloor().ConfigureAwait(false) || !await HoldConfirmRelease().ConfigureAwait(false))
        {
            throw new InvalidOperationException("A path did not succeed in setup.");
        }
    }

    private bool Check(bool succeeded)
    {
        if (!succeeded)
        {
            Interlocked.Increment(ref _failures);
        }

        return succeeded;
    }
}
