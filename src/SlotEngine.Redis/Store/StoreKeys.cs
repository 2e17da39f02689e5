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
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _feedBytes = new(StringComparer.Ordinal);
    private readonly byte[] _globalFeedBytes;
    private bool _cluster;

    /// <summary>The quota key's suffix per day (<c>:q:&lt;yyyymmdd&gt;</c>): a few days are claimed at a time.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DateOnly, string> _quotaSuffixes = new();
    private readonly byte[] _prefixBytes;

    /// <summary>Patient tags given back (<see cref="GiveBack"/>), of this prefix's length; about the claims in flight on a node.</summary>
    private readonly Client.BoundedPool<byte[]> _tagBuffers = new(256);

    /// <summary>Nonce buffers given back.</summary>
    private readonly Client.BoundedPool<byte[]> _nonceBuffers = new(256);

    public StoreKeys(string prefix, bool cluster)
    {
        Prefix = prefix;
        Cluster = cluster;
        GlobalFeed = prefix + "feed";
        _globalFeedBytes = System.Text.Encoding.UTF8.GetBytes(GlobalFeed);
        _prefixBytes = System.Text.Encoding.UTF8.GetBytes(prefix);
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

    /// <summary>As <see cref="For"/>, without keeping a set it had to make (a pass over every calendar held: sweeps, checks).</summary>
    public CalendarKeySet ForOnce(CalendarKey key) => _sets.TryGetValue(key, out var set) ? set : Build(key);

    /// <summary>
    /// A calendar's key names. <c>publish_many.lua</c> makes the same names from the prefix and the reference (keep both in step).
    /// One byte array (the tag) per calendar: the keys are <see cref="StackExchange.Redis.RedisKey"/>s of it and a constant suffix,
    /// the reference a slice of it (a nationwide booking mostly claims on a calendar nobody on this node claimed before: seven
    /// strings and two arrays per such booking before).
    /// </summary>
    private CalendarKeySet Build(CalendarKey key)
    {
        Span<byte> reference = stackalloc byte[24];
        key.Provider.Value.TryFormat(reference, out var length, default, CultureInfo.InvariantCulture);
        reference[length++] = (byte)':';
        key.Day.TryFormat(reference[length..], out var dayLength, "yyyyMMdd", CultureInfo.InvariantCulture);
        length += dayLength;
        var tag = new byte[_prefixBytes.Length + 3 + length + 1]; // "<prefix>{p:<ref>}"
        _prefixBytes.CopyTo(tag, 0);
        "{p:"u8.CopyTo(tag.AsSpan(_prefixBytes.Length));
        reference[..length].CopyTo(tag.AsSpan(_prefixBytes.Length + 3));
        tag[^1] = (byte)'}';
        if (!Cluster)
        {
            return new CalendarKeySet(tag, _prefixBytes.Length + 3, length, GlobalFeed, _globalFeedBytes);
        }

        var feed = SlotFeed(SlotChannels.SlotOf(tag));
        return new CalendarKeySet(tag, _prefixBytes.Length + 3, length, feed, FeedBytes(feed));
    }

    /// <summary>A cluster's shard feed channel's name as UTF-8, made once per channel (one per hash slot).</summary>
    public byte[] FeedBytes(string feed) => _feedBytes.GetOrAdd(feed, static f => System.Text.Encoding.UTF8.GetBytes(f));

    /// <summary>In a cluster, the change feed's channel of one hash slot (<see cref="SlotChannels"/>), made once per slot.</summary>
    public string SlotFeed(int slot) => _slotFeeds.GetOrAdd(slot, static (s, prefix) => prefix + "{" + SlotChannels.TagOf(s) + "}:feed", Prefix);

    /// <summary>The channel a calendar's changes are published on: its hash slot's shard channel in a cluster, the global one otherwise.</summary>
    public string FeedOf(CalendarKey key) => For(key).Feed;

    /// <summary>
    /// The name of a patient's quota entries for a day, on the patient's own tag (<see cref="ActiveKey"/>): the bar, the cap
    /// and the quotas of one claim are then judged by one script on one shard. Since stored layout 3 not a key of its own:
    /// the scripts read the day from it and keep the entries as fields <c>q&lt;yyyymmdd&gt;:…</c> of <see cref="ActiveKey"/>.
    /// </summary>
    public string QuotaKey(PatientKey patient, DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}:q:{day:yyyyMMdd}");

    /// <summary>
    /// A patient's records, on the patient's own tag: the active-appointment entries (<see cref="SlotEngineOptions.MaxActiveAppointments"/>)
    /// and, since stored layout 3, the quota entries of every day and the bars, as fields of this one hash (lib.lua).
    /// </summary>
    public string ActiveKey(PatientKey patient) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}");

    /// <summary>
    /// The name of a patient's bars (<see cref="BarPolicy"/>), on the same hash tag as <see cref="ActiveKey"/>: passed to the
    /// admission, which does not touch it (since stored layout 3 the bars are fields <c>b:&lt;branch&gt;</c> of <see cref="ActiveKey"/>).
    /// </summary>
    public string BarKey(PatientKey patient) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}:b");

    /// <summary>A patient's admission rate instant (<see cref="AdmissionRate"/>, microseconds), on the same hash tag as <see cref="ActiveKey"/>.</summary>
    public string RateKey(PatientKey patient) => string.Create(CultureInfo.InvariantCulture, $"{Prefix}{{a:{patient.Value:x16}}}:r");

    /// <summary>
    /// A claim's patient-side names in one small byte array: <c>&lt;prefix&gt;{a:&lt;patient hex&gt;}</c> (the <see cref="ActiveKey"/>),
    /// the other keys on that tag as <see cref="StackExchange.Redis.RedisKey"/>s made of it and a constant suffix (StackExchange.Redis
    /// writes such a key as its two parts one after the other and hashes it whole: no copy), and the patient's hex as a slice
    /// of it; with <paramref name="nonce"/>, a fresh nonce (32 hex digits, as <c>Guid.ToString("N")</c>; <see cref="NonceSource"/>) in a second one.
    /// Four strings and a nonce string per claim before.
    /// </summary>
    /// <remarks>
    /// The arrays come from small pools when names were given back (<see cref="GiveBack"/>: only after every call that used them
    /// completed), else they are new.
    /// </remarks>
    public PatientNames NamesOf(PatientKey patient, bool nonce)
    {
        if (!_tagBuffers.TryRent(out var tag))
        {
            tag = new byte[_prefixBytes.Length + 20]; // "{a:" + 16 hex + "}"
        }

        _prefixBytes.CopyTo(tag, 0);
        var at = _prefixBytes.Length;
        "{a:"u8.CopyTo(tag.AsSpan(at));
        patient.Value.TryFormat(tag.AsSpan(at + 3, 16), out _, "x16", CultureInfo.InvariantCulture);
        tag[^1] = (byte)'}';
        byte[]? fresh = null;
        if (nonce)
        {
            if (!_nonceBuffers.TryRent(out fresh))
            {
                fresh = new byte[NonceSource.Length];
            }

            NonceSource.Next(fresh);
        }

        return new PatientNames(tag, at + 3, fresh);
    }

    /// <summary>
    /// Keeps <paramref name="names"/>' arrays for the next <see cref="NamesOf"/>. Only once nothing can read them any more: every
    /// call that sent them has completed (never after a failure, when the client may still hold the command), and no key or value
    /// made of them is kept (a cluster's quota lease keeps its keys: never given back).
    /// </summary>
    public void GiveBack(in PatientNames names)
    {
        if (names.Tag is { } tag && tag.Length == _prefixBytes.Length + 20)
        {
            _tagBuffers.Return(tag);
        }

        if (names.NonceBytes is { Length: NonceSource.Length } nonce)
        {
            _nonceBuffers.Return(nonce);
        }
    }

    /// <summary><see cref="QuotaKey"/>'s part after the patient's tag, made once per day.</summary>
    public string QuotaSuffix(DateOnly day) =>
        _quotaSuffixes.GetOrAdd(day, static d => string.Create(CultureInfo.InvariantCulture, $":q:{d:yyyyMMdd}"));

    /// <summary>A call-centre call's claim count (<see cref="ClaimRequest.CallId"/>, which has no braces).</summary>
    public string CallKey(string callId) => Prefix + "{k:" + callId + "}";

    public string IdempotencyOwnerKey(string idempotencyKey) => Prefix + "{i:" + idempotencyKey + "}";
}

/// <summary>
/// Fresh claim nonces without a random read per claim (a <see cref="Guid.NewGuid"/> read the OS's random source each time):
/// 16 hex digits of a per-process random prefix, drawn once from <see cref="System.Security.Cryptography.RandomNumberGenerator"/>,
/// then 16 hex digits of a per-process counter (<see cref="Interlocked.Increment(ref long)"/>). Same length and alphabet as
/// before (32 hex digits, no '|'), so the scripts take it as they did.
/// Why a nonce never repeats for a live claim: within a process the counter is never reused (2^64 claims); another process,
/// or this one after a restart, draws a new 64-bit random prefix, so two live processes share a prefix with odds about
/// n^2 / 2^65 for n processes (nothing for any real deployment), and a counter value restarts only under a new prefix.
/// A nonce only has to be unique (it names a claim's quota entries, docs/quotas-distributed.md), not secret.
/// </summary>
internal static class NonceSource
{
    private static readonly ulong Prefix = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    private static long s_counter;

    /// <summary>A nonce's length: 32 hex digits.</summary>
    public const int Length = 32;

    /// <summary>Writes the next nonce's 32 lower-case hex digits into <paramref name="into"/> (32 bytes).</summary>
    public static void Next(Span<byte> into)
    {
        var n = (ulong)Interlocked.Increment(ref s_counter);
        Prefix.TryFormat(into[..16], out _, "x16", CultureInfo.InvariantCulture);
        n.TryFormat(into.Slice(16, 16), out _, "x16", CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// One calendar's keys (see <c>Scripts/lib.lua</c> for what each holds), over the calendar's tag <c>&lt;prefix&gt;{p:&lt;ref&gt;}</c>
/// as bytes: each key is the tag and a constant suffix (StackExchange.Redis writes the two parts one after the other and hashes
/// the whole: no copy, no string). Immutable once made; the KEYS arrays are made on first use (two threads may both make one:
/// equal contents, never changed, either is kept).
/// </summary>
internal sealed class CalendarKeySet(byte[] tag, int referenceAt, int referenceLength, string feed, byte[] feedBytes)
{
    private StackExchange.Redis.RedisKey[]? _scriptKeys;
    private StackExchange.Redis.RedisKey[]? _auditedScriptKeys;
    private string? _reference;

    /// <summary><c>&lt;provider&gt;:&lt;yyyymmdd&gt;</c> as text (made once, on first use).</summary>
    public string Reference => _reference ??= System.Text.Encoding.UTF8.GetString(tag, referenceAt, referenceLength);

    /// <summary>The same as a script argument: a slice of the tag, no string.</summary>
    public StackExchange.Redis.RedisValue ReferenceValue => tag.AsMemory(referenceAt, referenceLength);

    /// <summary><c>&lt;prefix&gt;{p:&lt;ref&gt;}</c> as text (made on each use: for rare paths).</summary>
    public string Tag => System.Text.Encoding.UTF8.GetString(tag);

    public StackExchange.Redis.RedisKey Meta => ((StackExchange.Redis.RedisKey)":m").Prepend(tag);

    public StackExchange.Redis.RedisKey Free => ((StackExchange.Redis.RedisKey)":f").Prepend(tag);

    /// <summary>
    /// The calendar's claims: fields <c>&lt;seat&gt;:&lt;slot&gt;</c> of <see cref="Meta"/> itself (a hash of their own, <c>:c</c>,
    /// before), so that a claim writes its slots, nonce, token and version with one <c>HSET</c> of one key and a confirm
    /// touches one key (lib.lua, docs/redis-scale.md). Scripts still take it as their own KEYS entry and test whether it is meta.
    /// </summary>
    public StackExchange.Redis.RedisKey Claims => Meta;

    /// <summary>
    /// The calendar's quota nonce records, approval markers and burned leases: fields of meta too (none has a <c>:</c>, so
    /// none reads as a claim's <c>&lt;seat&gt;:&lt;slot&gt;</c>; a hash of their own, <c>:n</c>, before).
    /// </summary>
    public StackExchange.Redis.RedisKey Nonces => Meta;

    public StackExchange.Redis.RedisKey Audit => ((StackExchange.Redis.RedisKey)":a").Prepend(tag);

    /// <summary>The idempotency records' prefix, <c>&lt;tag&gt;:i:</c> (made on each use: keyed requests only).</summary>
    public string IdempotencyPrefix => Tag + ":i:";

    /// <summary>The channel its changes are published on (the global one on a standalone server).</summary>
    public string Feed { get; } = feed;

    /// <summary>
    /// The calendar's change-feed state (<see cref="ReadModelFeed.StateOf"/>), kept here on first use so that a booking's
    /// script call finds its keys and its feed state by one look-up of the calendar (<see cref="StoreKeys.For"/>) instead of
    /// two. Set without a lock: every writer writes the same object (the feed keeps one per calendar for good).
    /// </summary>
    public ReadModelFeed.State? FeedState { get; set; }

    /// <summary>
    /// <see cref="Feed"/> as a script argument of its UTF-8 bytes (a string argument is transcoded on every call), shared by
    /// every calendar on the channel (the global one's, or <see cref="StoreKeys.FeedBytes"/> in a cluster).
    /// </summary>
    public StackExchange.Redis.RedisValue FeedValue => feedBytes;

    /// <summary>KEYS of most scripts (meta, free, claims, nonces), made once; never changed by anyone.</summary>
    public StackExchange.Redis.RedisKey[] ScriptKeys => _scriptKeys ??= [Meta, Free, Claims, Nonces];

    /// <summary>The same KEYS and the audit stream last (scripts that append to it), made once; never changed by anyone.</summary>
    public StackExchange.Redis.RedisKey[] AuditedScriptKeys => _auditedScriptKeys ??= [Meta, Free, Claims, Nonces, Audit];
}

/// <summary>
/// A claim's patient-side names over one byte array (<see cref="StoreKeys.NamesOf"/>): the keys on the patient's tag, its hex, and
/// the claim's nonce. Key names equal <see cref="StoreKeys.ActiveKey"/>, <see cref="StoreKeys.BarKey"/>, <see cref="StoreKeys.RateKey"/>
/// and <see cref="StoreKeys.QuotaKey"/> (tested).
/// </summary>
internal readonly struct PatientNames(byte[] tag, int hexAt, byte[]? nonce)
{
    /// <summary>The array the keys and the hex are made of (for <see cref="StoreKeys.GiveBack"/>).</summary>
    public byte[]? Tag => tag;

    /// <summary>The nonce's array, if one was made (for <see cref="StoreKeys.GiveBack"/>).</summary>
    public byte[]? NonceBytes => nonce;

    /// <summary><c>&lt;prefix&gt;{a:&lt;hex&gt;}</c>: the active-appointment entries.</summary>
    public StackExchange.Redis.RedisKey Active => tag;

    public StackExchange.Redis.RedisKey Bar => ((StackExchange.Redis.RedisKey)":b").Prepend(tag);

    public StackExchange.Redis.RedisKey Rate => ((StackExchange.Redis.RedisKey)":r").Prepend(tag);

    /// <summary>The day's quota entries, <paramref name="suffix"/> from <see cref="StoreKeys.QuotaSuffix"/>.</summary>
    public StackExchange.Redis.RedisKey Quota(string suffix) => ((StackExchange.Redis.RedisKey)suffix).Prepend(tag);

    /// <summary>The patient's 16 hex digits, as the scripts store them.</summary>
    public StackExchange.Redis.RedisValue Hex => tag.AsMemory(hexAt, 16);

    /// <summary>The fresh nonce's 32 hex digits (null when none was made).</summary>
    public StackExchange.Redis.RedisValue Nonce => nonce;
}
