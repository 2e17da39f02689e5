using System.Globalization;
using SlotEngine.Redis;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>
/// The redis-benchmark floor: <c>EVALSHA</c> of the store's own claim script (the SHA the store loads,
/// the same 4 keys and 14 arguments <see cref="EngineWorkload.ClaimCall"/> builds like the store) on
/// a published calendar. redis-benchmark repeats one command, so for every request to book a free
/// slot the free bitmap key is <c>rbfree:__rand_int__</c>: <c>-r</c> picks one of <see cref="Copies"/>
/// copies of the calendar's (all free) bitmap per request, and each run books a different slot. A
/// request that meets a copy already booked at that slot gets <c>closed</c> (cheaper than a
/// booking); the report counts bookings by the calendar's token counter (<c>tok</c>). The change feed
/// goes to <see cref="EngineWorkload.UnheardChannel(string)"/>: a bare server, no subscriber to deliver to.
/// </summary>
internal sealed class FloorCommand
{
    private readonly EngineWorkload _workload;
    private readonly int _provider;

    public FloorCommand(EngineWorkload workload, int provider)
    {
        _workload = workload;
        _provider = provider;
    }

    public const int Copies = 1_000_000;

    public string MetaKey => _workload.ClaimCall(_provider, 0, _workload.Patient(0)).Keys[0];

    /// <summary>Publishes the floor's calendar and writes the copies of its free bitmap (one script on the server).</summary>
    public async Task PrepareAsync(RedisServerProcess server)
    {
        await _workload.PublishAsync(_provider, 1).ConfigureAwait(false);
        var free = _workload.ClaimCall(_provider, 0, _workload.Patient(0)).Keys[1];
        const string copy = "local bits = redis.call('GET', KEYS[1]) for i = 0, tonumber(ARGV[1]) - 1 do redis.call('SET', string.format('rbfree:%012d', i), bits) end return 1";
        var output = await server.CliAsync("EVAL", copy, "1", free, Copies.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
        if (output.Trim() != "1")
        {
            throw new InvalidOperationException("Copying the free bitmap failed: " + output);
        }
    }

    /// <summary>The command redis-benchmark repeats: book <paramref name="slot"/>.</summary>
    public IReadOnlyList<string> Command(int slot)
    {
        var (keys, args) = _workload.ClaimCall(_provider, slot, _workload.Patient(7));
        keys[1] = "rbfree:__rand_int__";
        args[0] = EngineWorkload.UnheardChannel(keys[0]);
        return ["EVALSHA", StoreScripts.Claim.Sha1Hex, "4", .. keys, .. args];
    }

    /// <summary>Bookings made on the floor's calendar so far (its last fencing token).</summary>
    public async Task<long> BookingsAsync(RedisServerProcess server) =>
        long.TryParse((await server.CliAsync("HGET", MetaKey, "tok").ConfigureAwait(false)).Trim(), CultureInfo.InvariantCulture, out var tok) ? tok : 0;
}
