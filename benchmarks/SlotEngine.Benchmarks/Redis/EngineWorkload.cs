using System.Globalization;
using SlotEngine.Redis;
using SlotEngine.Redis.Client;
using StackExchange.Redis;

namespace SlotEngine.Benchmarks.Redis;

/// <summary>
/// A <see cref="RedisSlotEngine"/> against the benchmark's own Redis: providers 0…n−1 in one clinic,
/// <see cref="DayTemplate.Standard"/> days (48 slots, capacity 1) the day after tomorrow, no quotas,
/// no idempotency keys. Claims are bookings of one slot, each on a free (calendar, slot).
/// </summary>
internal sealed class EngineWorkload : IAsyncDisposable
{
    private readonly StoreKeys _keys;

    private EngineWorkload(RedisSlotEngine engine, bool cluster, string prefix)
    {
        Engine = engine;
        _keys = new StoreKeys(prefix, cluster);
        Day = engine.ReadModel.Today.AddDays(Math.Max(2, engine.Options.EarliestBookableDayOffset));
    }

    public const string Prefix = "se:";
    public const int SlotsPerDay = 48;

    public RedisSlotEngine Engine { get; }

    public DateOnly Day { get; }

    public long Reloads => Engine.Feed.Reloads;

    /// <param name="prefix">The key prefix: a workload with another one hears none of this one's change feed.</param>
    public static async Task<EngineWorkload> ConnectAsync(string connectionString, int providers, bool cluster, int waitForReplicas = 0, string prefix = Prefix)
    {
        var engine = await RedisSlotEngine.ConnectAsync(new RedisSlotEngineOptions
        {
            ConnectionString = connectionString,
            WaitForReplicas = waitForReplicas,
            Engine = new SlotEngineOptions { Quotas = QuotaPolicy.None, PatientKeyHasher = PatientKeyHasher.FromSecret("slotengine-benchmark-patient-secret") },
            KeyPrefix = prefix,
            PersistenceCheck = PersistenceCheckMode.Off,
        }).ConfigureAwait(false);
        engine.Directory.AddFacility(new FacilityId(1), new CityCode(34));
        engine.Directory.AddClinic(new ClinicId(10), new FacilityId(1), new BranchId(7));
        for (var p = 0; p < providers; p++)
        {
            engine.Directory.AddProvider(new ProviderId(p), new ClinicId(10));
        }

        return new EngineWorkload(engine, cluster, prefix);
    }

    public CalendarKey Calendar(int provider) => new(new ProviderId(provider), Day);

    public PatientKey Patient(int n) => Engine.PatientOf(NationalId.FromFirstNineDigits(100_000_000 + (n % 1_000_000)));

    /// <summary>Publishes providers [first, first + count) for <see cref="Day"/>, 64 at a time.</summary>
    public Task PublishAsync(int first, int count) =>
        ClosedLoop.RunAsync(count, Math.Min(64, count), i => Engine.PublishAsync(new ProviderId(first + i), Day, DayTemplate.Standard));

    /// <summary>Operation i of a claim-only run over providers [first, first + count): calendar i mod count, slot i / count.</summary>
    public Func<int, ValueTask> ClaimOnly(int first, int count) => async i =>
    {
        var result = await Engine.ClaimAsync(ClaimRequest.Book(Calendar(first + (i % count)), new SlotRange(i / count % SlotsPerDay, 1), Patient(i))).ConfigureAwait(false);
        Expect(result, "claim");
    };

    /// <summary>Operation i of a claim + release run: the slot is free again after each pair.</summary>
    public Func<int, ValueTask> ClaimRelease(int first, int count) => async i =>
    {
        var claim = Expect(await Engine.ClaimAsync(ClaimRequest.Book(Calendar(first + (i % count)), new SlotRange(i / count % SlotsPerDay, 1), Patient(i))).ConfigureAwait(false), "claim");
        Expect(await Engine.ReleaseAsync(claim).ConfigureAwait(false), "release");
    };

    /// <summary>
    /// The change-feed channel the transport-only and redis-benchmark runs publish on: nobody subscribes
    /// to it, so their claims cost no pub/sub delivery and start no read-model reload in this node.
    /// </summary>
    /// <remarks>Named after the calendar's meta key, so that in a cluster its SPUBLISH stays on the calendar's slot.</remarks>
    public static string UnheardChannel(string metaKey) => metaKey + ":nobody";

    /// <summary>
    /// The same claim script call the store makes, sent through the store's client alone (StackExchange.Redis
    /// <c>ScriptEvaluateAsync</c> by SHA-1 through the store's thin adapter; no engine
    /// around it, and published on <see cref="UnheardChannel(string)"/>).
    /// </summary>
    public Func<int, ValueTask> TransportClaimOnly(int first, int count)
    {
        var calls = new (RedisKey[] Keys, RedisValue[] Args)[count * SlotsPerDay];
        for (var i = 0; i < calls.Length; i++)
        {
            var (keys, args) = ClaimCall(first + (i % count), i / count % SlotsPerDay, Patient(i));
            args[0] = UnheardChannel(keys[0]);
            calls[i] = ([.. keys.Select(k => (RedisKey)k)], [.. args.Select(a => (RedisValue)a)]);
        }

        return async i =>
        {
            var reply = await Engine.Connection.EvalShaAsync(StoreScripts.Claim, calls[i].Keys, calls[i].Args).ConfigureAwait(false);
            if (reply[0].AsString() != "ok")
            {
                throw new InvalidOperationException("The claim script answered " + reply);
            }
        };
    }

    /// <summary>
    /// KEYS and ARGV of the claim script exactly as <c>RedisSlotEngine.RunClaimScriptAsync</c> builds them
    /// for a booking of one slot without quota or idempotency key (the calendar must be in the read model).
    /// </summary>
    public (string[] Keys, string[] Args) ClaimCall(int provider, int slot, PatientKey patient)
    {
        var key = Calendar(provider);
        var keys = _keys.For(key);
        var layout = Engine.ReadModel.FindReadModel(key)!.Layout;
        var (open, close) = Engine.ReadModel.Rules.BookingWindowOf(Day);
        var hex = patient.Value.ToString("x16", CultureInfo.InvariantCulture);
        var digest = keys.Reference + ":" + slot.ToString(CultureInfo.InvariantCulture) + ":1:" + hex + ":0";
        static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
        string[] args =
        [
            keys.Feed, _keys.Cluster ? "1" : "0", keys.Reference, N(slot), "1", hex, "0",
            N(UnixMs.FromTicks(layout.StartUtcTicks(slot))), N(UnixMs.FromTicks(open)), N(UnixMs.FromTicks(close)),
            string.Empty, "0", digest, N((long)TimeSpan.FromHours(24).TotalMilliseconds), N(SlotEngine.Stores.ReadModel.MaxToken),
        ];
        return ([(string)keys.Meta!, (string)keys.Free!, (string)keys.Claims!, (string)keys.Nonces!], args);
    }

    public ValueTask DisposeAsync() => Engine.DisposeAsync();

    private static Reservation Expect(ClaimResult result, string what) =>
        result.Succeeded ? result.Reservation : throw new InvalidOperationException($"A {what} did not succeed: {result}.");
}
