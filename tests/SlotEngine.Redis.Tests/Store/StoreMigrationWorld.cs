using System.Globalization;
using SlotEngine.Redis.Tests.Contract;
using StackExchange.Redis;

namespace SlotEngine.Redis.Tests.Store;

/// <summary>
/// A store with bookings, quota entries, cap entries and a bar, written by a layout-3 engine and then rewritten by hand
/// into the layout-2 (or layout-1) keys older builds wrote (docs/redis.md "Keys", "Stored layout"), for the migration's
/// tests. The same store's layout-3 records are kept to compare with what the migration makes of it.
/// </summary>
internal sealed class StoreMigrationWorld : IAsyncDisposable
{
    /// <summary>Patients with one booking each at the doctor on the day (each at the clinic's daily quota).</summary>
    public const int Booked = 30;

    private static readonly string[] MetaFields = ["tpl", "slots", "cap", "wpl", "ver", "tok", "ini"];

    private readonly ConnectionMultiplexer _raw;

    private StoreMigrationWorld(string connectionString, string prefix, ConnectionMultiplexer raw)
    {
        ConnectionString = connectionString;
        Prefix = prefix;
        _raw = raw;
    }

    public string ConnectionString { get; }

    public string Prefix { get; }

    public static DateOnly Day => ContractWorld.Day;

    public static DateOnly NextDay => ContractWorld.Day.AddDays(1);

    /// <summary>Each of the <see cref="Booked"/> patients' bookings, by patient number.</summary>
    public Dictionary<int, Reservation> Bookings { get; } = [];

    /// <summary>The layout-3 records before the rewrite: every patient records hash and calendar meta, field → value.</summary>
    public Dictionary<string, SortedDictionary<string, string>> Before { get; private set; } = [];

    public IDatabase Db => _raw.GetDatabase();

    public static async Task<StoreMigrationWorld> CreateAsync(string connectionString, string prefix)
    {
        var raw = await ConnectionMultiplexer.ConnectAsync(connectionString);
        return new StoreMigrationWorld(connectionString, prefix, raw);
    }

    public RedisSlotEngineOptions Options() => new()
    {
        ConnectionString = ConnectionString,
        KeyPrefix = Prefix,
        PersistenceCheck = PersistenceCheckMode.Off,
        Engine = new SlotEngineOptions
        {
            TimeZone = ContractWorld.Istanbul,
            PatientKeyHasher = StoreNodes.SharedPatientKeys,
            MaxActiveAppointments = 3,
            Bars = BarPolicy.Mhrs,
        },
    };

    public async Task<RedisSlotEngine> StartAsync()
    {
        var engine = await RedisSlotEngine.ConnectAsync(Options());
        ContractWorld.Register(engine.Directory);
        return engine;
    }

    /// <summary>
    /// Writes the store with a layout-3 engine: patient 1 barred from branch 1 (a no-show), patient 2 at the cap of 3
    /// active appointments over two days, patients 10.. each booked at the doctor (the clinic's quota of 1 a day used).
    /// </summary>
    public async Task WriteAsync()
    {
        await using var engine = await StartAsync();
        foreach (var day in new[] { Day, NextDay })
        {
            foreach (var provider in new[] { ContractWorld.Doctor, ContractWorld.SameClinic, ContractWorld.OtherClinic, ContractWorld.ThirdClinic, ContractWorld.OtherFacility })
            {
                await engine.PublishAsync(provider, day, ContractWorld.Standard);
            }
        }

        var noShow = await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.Doctor, NextDay, 0, 1)));
        Assert.True((await engine.RecordOutcomeAsync(noShow, AppointmentOutcome.NoShow)).Succeeded);
        await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.OtherClinic, Day, 0, 2)));
        await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.ThirdClinic, Day, 0, 2)));
        await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.OtherFacility, NextDay, 0, 2)));
        for (var i = 0; i < Booked; i++)
        {
            Bookings[10 + i] = await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.Doctor, Day, i, 10 + i)));
        }

        Before = await RecordsAsync();
        await engine.DisposeAsync();
        await NodesGoneAsync();
    }

    /// <summary>Waits until no node listens to the store's feed (a stopped node's connection is closed by the server soon after).</summary>
    public Task NodesGoneAsync() => Eventually.TrueAsync(
        async () =>
        {
            foreach (var server in _raw.GetServers().Where(s => !s.IsReplica && s.IsConnected))
            {
                var numsub = (RedisResult[])(await server.ExecuteAsync("PUBSUB", "NUMSUB", Prefix + "feed"))!;
                var shards = (RedisResult[])(await server.ExecuteAsync("PUBSUB", "SHARDCHANNELS", RedisStoreMigration.GlobEscape(Prefix) + "{s:*}:feed"))!;
                if ((long)numsub[1] > 0 || shards.Length > 0)
                {
                    return false;
                }
            }

            return true;
        },
        "the stopped node left the change feed");

    public static ClaimRequest Book(ProviderId provider, DateOnly day, int slot, int patient) =>
        ClaimRequest.Book(new CalendarKey(provider, day), SlotRange.Single(slot), ContractWorld.Patient(patient));

    public static async Task<Reservation> SucceedAsync(ValueTask<ClaimResult> claim)
    {
        var result = await claim;
        Assert.True(result.Succeeded, "expected success, got " + result);
        return result.Reservation;
    }

    /// <summary>Every key under the prefix with the given glob after it, on every primary.</summary>
    public async Task<List<string>> KeysAsync(string pattern)
    {
        var keys = new List<string>();
        foreach (var server in _raw.GetServers().Where(s => !s.IsReplica && s.IsConnected))
        {
            await foreach (var key in server.KeysAsync(pattern: RedisStoreMigration.GlobEscape(Prefix) + pattern, pageSize: 500))
            {
                keys.Add(key!);
            }
        }

        return keys;
    }

    /// <summary>Every patient records hash and calendar meta under the prefix, field → value (<c>qd</c> sorted by day).</summary>
    public async Task<Dictionary<string, SortedDictionary<string, string>>> RecordsAsync()
    {
        var records = new Dictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var key in (await KeysAsync("{a:*}")).Concat(await KeysAsync("{p:*}:m")))
        {
            var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in await Db.HashGetAllAsync(key))
            {
                fields[entry.Name!] = entry.Name == "qd" ? SortedDays(entry.Value!) : entry.Value!;
            }

            records[key] = fields;
        }

        return records;
    }

    private static string SortedDays(string qd) =>
        string.Concat(Enumerable.Range(0, qd.Length / 21).Select(i => qd.Substring(i * 21, 21)).Order(StringComparer.Ordinal));

    /// <summary>
    /// Rewrites the patients' records as layout 2 kept them: a day's quota fields in <c>{a:&lt;hex&gt;}:q:&lt;yyyymmdd&gt;</c>
    /// (expiring at the day's <c>qd</c> expiry), the bars in <c>{a:&lt;hex&gt;}:b</c> (expiring with the latest bar), no
    /// <c>x</c> or <c>qd</c>; and the layout key says 2.
    /// </summary>
    public async Task RewriteAsLayout2Async()
    {
        foreach (var key in await KeysAsync("{a:*}"))
        {
            var all = (await Db.HashGetAllAsync(key)).ToDictionary(e => (string)e.Name!, e => (string)e.Value!, StringComparer.Ordinal);
            var days = new Dictionary<string, long>(StringComparer.Ordinal);
            if (all.TryGetValue("qd", out var qd))
            {
                for (var r = 0; r + 21 <= qd.Length; r += 21)
                {
                    days[qd.Substring(r, 8)] = long.Parse(qd.AsSpan(r + 8, 13), CultureInfo.InvariantCulture);
                }
            }

            long barsEnd = 0;
            foreach (var (field, value) in all)
            {
                if (field.Length > 10 && field[0] == 'q' && field[9] == ':')
                {
                    await Db.HashSetAsync(key + ":q:" + field[1..9], field[10..], value);
                    await Db.HashDeleteAsync(key, field);
                }
                else if (field.StartsWith("b:", StringComparison.Ordinal))
                {
                    await Db.HashSetAsync(key + ":b", field[2..], value);
                    await Db.HashDeleteAsync(key, field);
                    barsEnd = Math.Max(barsEnd, long.Parse(value, CultureInfo.InvariantCulture));
                }
            }

            await Db.HashDeleteAsync(key, ["x", "qd"]);
            foreach (var (day, expiry) in days)
            {
                await Db.ExecuteAsync("PEXPIREAT", (RedisKey)(key + ":q:" + day), expiry);
            }

            if (barsEnd > 0)
            {
                await Db.ExecuteAsync("PEXPIREAT", (RedisKey)(key + ":b"), barsEnd);
            }
        }

        await Db.StringSetAsync(StoreLayoutCheck.KeyOf(Prefix), "2");
    }

    /// <summary>
    /// Then rewrites the calendars as layout 1 kept them: claims in <c>:c</c> and nonce records in <c>:n</c>, each with the
    /// placeholder field <c>-</c>; and removes the layout key (older builds wrote none).
    /// </summary>
    public async Task RewriteAsLayout1Async()
    {
        await RewriteAsLayout2Async();
        foreach (var meta in await KeysAsync("{p:*}:m"))
        {
            var head = meta[..^2];
            foreach (var entry in await Db.HashGetAllAsync(meta))
            {
                string field = entry.Name!;
                if (MetaFields.Contains(field))
                {
                    continue;
                }

                await Db.HashSetAsync(head + (field.Contains(':', StringComparison.Ordinal) ? ":c" : ":n"), field, entry.Value);
                await Db.HashDeleteAsync(meta, field);
            }

            await Db.HashSetAsync(head + ":c", "-", "");
            await Db.HashSetAsync(head + ":n", "-", "");
        }

        await Db.KeyDeleteAsync(StoreLayoutCheck.KeyOf(Prefix));
    }

    /// <summary>Keys in an old layout's form: day quota hashes, bars hashes, calendars' claims and nonce hashes.</summary>
    public async Task<List<string>> OldKeysAsync() =>
        [.. await KeysAsync("{a:*}:q:*"), .. await KeysAsync("{a:*}:b"), .. await KeysAsync("{p:*}:c"), .. await KeysAsync("{p:*}:n")];

    /// <summary>
    /// Checks the migrated store: its records are the layout-3 records it was rewritten from; and through a layout-3 engine,
    /// every booking is where it was, a patient at the daily quota, at the cap or barred is still refused, others are not,
    /// and a cancelled booking gives its quota back.
    /// </summary>
    public async Task AssertHoldsAsync()
    {
        Assert.Equal("3", (string?)await Db.StringGetAsync(StoreLayoutCheck.KeyOf(Prefix)));
        Assert.Empty(await OldKeysAsync());
        var after = await RecordsAsync();
        Assert.Equal(Before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, fields) in Before)
        {
            Assert.Equal(fields, after[key]);
        }

        await using var engine = await StartAsync();
        var doctor = await engine.GetCalendarAsync(new CalendarKey(ContractWorld.Doctor, Day));
        for (var i = 0; i < Booked; i++)
        {
            Assert.Equal(SlotStatus.Booked, doctor[i].Status);
            Assert.Equal(ContractWorld.Patient(10 + i), doctor[i].Owner);
            Assert.Equal(Bookings[10 + i].Token, doctor[i].Token);
        }

        Assert.Equal(SlotStatus.Free, doctor[Booked].Status);

        // The daily quota (one a day at the clinic), the cap (3 active), the bar (branch 1) still hold.
        Assert.Equal(ClaimStatus.QuotaExceeded, (await engine.ClaimAsync(Book(ContractWorld.SameClinic, Day, 0, 10))).Status);
        Assert.Equal(ClaimStatus.ActiveLimitReached, (await engine.ClaimAsync(Book(ContractWorld.OtherFacility, Day, 1, 2))).Status);
        Assert.Equal(ClaimStatus.Barred, (await engine.ClaimAsync(Book(ContractWorld.Doctor, Day, 40, 1))).Status);
        Assert.Equal(ClaimStatus.Barred, (await engine.ClaimAsync(Book(ContractWorld.OtherFacility, NextDay, 5, 1))).Status);

        // And refuse nobody else: another branch for the barred patient, a new patient at the same clinic.
        await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.OtherClinic, Day, 5, 1)));
        await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.SameClinic, Day, 1, 99)));

        // A booking made before the migration is cancelled with its token, and gives the day's quota back.
        Assert.True((await engine.CancelAsync(Bookings[11], CancelActor.Patient)).Succeeded);
        await SucceedAsync(engine.ClaimAsync(Book(ContractWorld.SameClinic, Day, 2, 11)));
        Assert.Equal(ClaimStatus.Taken, (await engine.ClaimAsync(Book(ContractWorld.Doctor, Day, 12, 98))).Status);
    }

    public async ValueTask DisposeAsync() => await _raw.DisposeAsync();
}

/// <summary>An <see cref="IProgress{T}"/> that runs its action on the reporting flow, in order (Progress&lt;T&gt; posts it).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
