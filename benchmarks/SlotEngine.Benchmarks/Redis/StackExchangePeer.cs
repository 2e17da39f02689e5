using StackExchange.Redis;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>
/// The peer a team would write with StackExchange.Redis 3.4.35: one key per slot, a claim is
/// <c>SET key owner NX</c>, a release <c>DEL key</c>. No fencing token, no quotas, no read model, no
/// change feed: the least a correct "never one slot twice" store can do on Redis.
/// </summary>
internal sealed class StackExchangePeer : IDisposable
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly string _day;

    public StackExchangePeer(string endpoint, DateOnly day)
    {
        _connection = ConnectionMultiplexer.Connect(endpoint + ",abortConnect=false,syncTimeout=10000");
        _database = _connection.GetDatabase();
        _day = day.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Operation i over providers [first, first + count): SET NX on calendar i mod count, slot i / count.</summary>
    public Func<int, ValueTask> ClaimOnly(int first, int count) => async i =>
    {
        if (!await _database.StringSetAsync(Key(first, count, i), Owner(i), null, When.NotExists).ConfigureAwait(false))
        {
            throw new InvalidOperationException("SET NX found the slot taken.");
        }
    };

    /// <summary>Operation i of claim + release: SET NX, then DEL.</summary>
    public Func<int, ValueTask> ClaimRelease(int first, int count) => async i =>
    {
        var key = Key(first, count, i);
        if (!await _database.StringSetAsync(key, Owner(i), null, When.NotExists).ConfigureAwait(false)
            || !await _database.KeyDeleteAsync(key).ConfigureAwait(false))
        {
            throw new InvalidOperationException("SET NX or DEL failed.");
        }
    };

    public void Dispose() => _connection.Dispose();

    private static string Owner(int i) => (100_000_000 + i).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private string Key(int first, int count, int i) =>
        "ser:{p:" + (first + (i % count)).ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + _day + "}:" +
        (i / count % EngineWorkload.SlotsPerDay).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
