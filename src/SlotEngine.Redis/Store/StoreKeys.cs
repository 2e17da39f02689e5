using System.Globalization;

namespace SlotEngine.Redis;

/// <summary>
/// Names every key and channel the store uses. All of one calendar's keys share the hash tag
/// <c>{p:&lt;provider&gt;:&lt;yyyymmdd&gt;}</c>, so one script changes them atomically on one cluster
/// slot; a patient's quota entries, active-appointment entries and bars live under <c>{a:&lt;patient hex&gt;}</c>
/// (usually another shard), and an idempotency key's owner under <c>{i:&lt;key&gt;}</c>.
/// </summary>
internal sealed class StoreKeys
{
    /// <summary>Each calendar's key names, made once (a claim would otherwise build seven strings).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<CalendarKey, CalendarKeySet> _sets = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _slotFeeds = new();
    private bool _cluster;

    public StoreKeys(string prefix, bool cluster)
    {
        Prefix = prefix;
        Cluster = cluster;
        GlobalFeed = prefix + "feed";
    }

    public string Prefix { get; }

    /// <summary>
    /// Whether the deployment is a Redis Cluster. Set once when the store first reaches Redis (with
    /// <c>abortConnect=false</c> that may be after start; no call succeeds before it).
    /// </summary>
    public bool Cluster
    {
        get => Volatile.Read(ref _cluster);
        set
        {
            Volatile.Write(ref _cluster, value);
            _sets.Clear(); // the feed channel's name depends on it
        }
    }

    /// <summary>The one channel of the change feed on a standalone server (PUBLISH).</summary>
    public string GlobalFeed { get; }

    /// <summary>
    /// <c>&lt;provider&gt;:&lt;yyyymmdd&gt;</c>, made in one allocation (the claim path makes a few of these and of the patient
    /// keys below per booking; <see cref="For"/> holds a calendar's made once, as <see cref="CalendarKeySet.Reference"/>).
    /// </summary>
    public static string CalendarRef(CalendarKey key) =>
        string.Create(CultureInfo.InvariantCulture, $"{key.Provider.Value}:{key.Day:yyyyMMdd}");

    public static bool TryParseCalendarRef(ReadOnlySpan<char> text, out CalendarKey key)
    {
        key = default;
        var colon = text.IndexOf(':');
        if (colon <= 0
            || !int.TryParse(text[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out var provider)
            || !DateOnly.TryParseExact(text[(colon + 1)..], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return false;
        }

        key = new CalendarKey(new ProviderId(provider), day);
        return true;
    }

    public CalendarKeySet For(CalendarKey key) => _sets.GetOrAdd(key, static (k, keys) => keys.Build(k), this);

    /// <summary>A calendar's key names. <c>publish_many.lua</c> makes the same names from the prefix and the reference (keep both in step).</summary>
    private CalendarKeySet Build(CalendarKey key)
    {
        var reference = CalendarRef(key);
        var tag = Prefix + "{p:" + reference + "}";
        return new CalendarKeySet(
            reference,
            tag + ":m",
            tag + ":f",
            tag + ":c",
            tag + ":n",
            tag + ":i:",
            tag + ":a",
            Cluster ? SlotFeed(SlotChannels.SlotOf(tag)) : GlobalFeed);
    }

    /// <summary>In a cluster, the change feed's channel of one hash slot (<see cref="SlotChannels"/>), made once per slot.</summary>
    public string SlotFeed(int slot) => _slotFeeds.GetOrAdd(slot, static (s, prefix) => prefix + "{" + SlotChannels.TagOf(s) + "}:feed", Prefix);

    /// <summary>The channel a calendar's changes are published on: its hash slot's shard channel in a cluster, the global one otherwise.</summary>
    public string FeedOf(CalendarKey key) => For(key).Feed;

    /// <summary>
    /// A patient's quota entries for a day, on the patient's own tag (<see cref="ActiveKey"/>): the bar, the cap and the
    /// quotas of one claim are then judged by one script on one shard.
    /// </summary>
    public string QuotaKey(PatientKey patient, DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}:q:{day:yyyyMMdd}");

    /// <summary>A patient's active-appointment entries (<see cref="SlotEngineOptions.MaxActiveAppointments"/>), on the patient's own tag.</summary>
    public string ActiveKey(PatientKey patient) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}");

    /// <summary>A patient's bars (<see cref="BarPolicy"/>): a hash of branch to bar end, on the same hash tag as <see cref="ActiveKey"/>.</summary>
    public string BarKey(PatientKey patient) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}:b");

    /// <summary>A patient's admission rate instant (<see cref="AdmissionRate"/>, microseconds), on the same hash tag as <see cref="ActiveKey"/>.</summary>
    public string RateKey(PatientKey patient) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}:r");

    /// <summary>A call-centre call's claim count (<see cref="ClaimRequest.CallId"/>, which has no braces).</summary>
    public string CallKey(string callId) => Prefix + "{k:" + callId + "}";

    public string IdempotencyOwnerKey(string idempotencyKey) => Prefix + "{i:" + idempotencyKey + "}";
}

/// <summary>One calendar's keys (see <c>Scripts/lib.lua</c> for what each holds).</summary>
internal sealed record CalendarKeySet(string Reference, string Meta, string Free, string Claims, string Nonces, string IdempotencyPrefix, string Audit, string Feed)
{
    /// <summary>KEYS of most scripts (meta, free, claims, nonces), made once; never changed by anyone.</summary>
    public StackExchange.Redis.RedisKey[] ScriptKeys { get; } = [Meta, Free, Claims, Nonces];

    /// <summary>The same KEYS and the audit stream last (scripts that append to it), made once; never changed by anyone.</summary>
    public StackExchange.Redis.RedisKey[] AuditedScriptKeys { get; } = [Meta, Free, Claims, Nonces, Audit];
}
