using System.Globalization;
using SlotEngine.Redis.Client;
using SlotEngine.Stores;
using StackExchange.Redis;

namespace SlotEngine.Redis;

/// <summary>
/// The patient-side entries taken for one claim by <c>admit.lua</c> (the two-step protocol of a cluster): the
/// active-appointment cap's field in <see cref="ActiveKey"/> and the daily quotas' fields in <see cref="QuotaKey"/>
/// (both on the patient's hash tag), all written with one value
/// (<c>&lt;calendar&gt;|&lt;nonce&gt;|&lt;lease deadline ms&gt;</c>). Empty when no entry was taken.
/// </summary>
/// <remarks>
/// A lease from <see cref="RedisSlotEngine"/>'s admission keeps the nonce and the calendar's reference as the scripts received
/// them (slices of the patient's names and the calendar's tag): the claim sends <see cref="NonceValue"/> as it is, and the
/// texts <see cref="Value"/> and <see cref="Nonce"/> are made only when asked (giving entries back, burning a lease), so a
/// claim that succeeds makes none. Its keys and nonce are made of the patient's names: those are given back
/// (<see cref="StoreKeys.GiveBack"/>) only once nothing uses the lease any more.
/// </remarks>
internal sealed class QuotaLease
{
    public static readonly QuotaLease None = new(default, default, null, [], string.Empty, string.Empty, 0);

    private readonly RedisValue _reference;
    private string? _value;
    private string? _nonce;

    /// <summary>A lease with its texts given.</summary>
    public QuotaLease(RedisKey activeKey, RedisKey quotaKey, string? activeField, string[] quotaFields, string value, string nonce, long deadlineMs)
    {
        ActiveKey = activeKey;
        QuotaKey = quotaKey;
        ActiveField = activeField;
        QuotaFields = quotaFields;
        _value = value;
        _nonce = nonce;
        NonceValue = nonce;
        DeadlineMs = deadlineMs;
    }

    /// <summary>A lease whose texts are made from <paramref name="reference"/> and <paramref name="nonce"/> when first asked.</summary>
    public QuotaLease(RedisKey activeKey, RedisKey quotaKey, string? activeField, string[] quotaFields, RedisValue reference, RedisValue nonce, long deadlineMs)
    {
        ActiveKey = activeKey;
        QuotaKey = quotaKey;
        ActiveField = activeField;
        QuotaFields = quotaFields;
        _reference = reference;
        NonceValue = nonce;
        DeadlineMs = deadlineMs;
    }

    public RedisKey ActiveKey { get; }

    public RedisKey QuotaKey { get; }

    public string? ActiveField { get; }

    public string[] QuotaFields { get; }

    /// <summary>The entries' value: <c>&lt;calendar&gt;|&lt;nonce&gt;|&lt;lease deadline ms&gt;</c>.</summary>
    public string Value => _value ??= (string)_reference! + "|" + Nonce + "|" + DeadlineMs.ToString(CultureInfo.InvariantCulture);

    /// <summary>The nonce as text.</summary>
    public string Nonce => _nonce ??= (string)NonceValue!;

    /// <summary>The nonce as the scripts receive it.</summary>
    public RedisValue NonceValue { get; }

    public long DeadlineMs { get; }

    public bool IsEmpty => ActiveField is null && QuotaFields.Length == 0;
}

/// <summary>
/// What one claim asks of the patient's side (<c>admission_rate</c> and <c>admission_check</c> in <c>lib.lua</c>): the
/// keys (bars, active entries, the day's quota entries, the admission rate's instant, and a call's counter when the call
/// limit is judged in the same script) and the arguments; <see cref="SetDead"/> replaces the tail of entries proven dead
/// between rounds, <see cref="RateCounted"/> turns the rate off for them.
/// </summary>
/// <remarks>
/// Made for every claim with rules, so it is copied, never sent: the claim (or <c>admit.lua</c>) copies the keys and the
/// arguments into its own rented arrays (<see cref="CopyKeysTo"/>, <see cref="CopyArgsTo"/>), so that one array is sent
/// per call and given back once it completed. The fixed arguments are rented too, and given back by <see cref="Return"/>
/// when the claim is done (never sent, so any time after the last copy is safe).
/// </remarks>
internal sealed class Admission
{
    /// <summary>Where in the arguments the admission's numbers are (<c>ARGV[a+5]</c>, <see cref="AdmissionNumbers"/>).</summary>
    public const int NumbersAt = 5;

    /// <summary>Where the quota rules' scopes start (<c>ARGV[a+6]</c>).</summary>
    public const int ScopesAt = 6;

    /// <summary>Where the calendar's reference is (<c>ARGV[a+1]</c>).</summary>
    private const int CalendarAt = 1;

    /// <summary>
    /// Admissions given back (<see cref="Return"/>), reused by <see cref="Rent"/>: one was some 200 B of a claim's garbage.
    /// Safe because the client never sees one: its keys and arguments are copied into the call's own arrays.
    /// </summary>
    private static readonly BoundedPool<Admission> Pool = new(256);

    private RedisKey _bar;
    private RedisKey _active;
    private RedisKey _quota;
    private RedisKey _rate;
    private RedisKey? _call;
    private RedisArgument[] _args = [];
    private List<(string Mark, string Field, string Value)>? _dead;
    private string? _nonceText;
    private byte[] _numbersNoRate = [];
    private StoreKeys? _namesOwner;
    private PatientNames _names;

    private Admission()
    {
    }

    /// <summary>An admission over these keys and (rented) arguments, reused when one was given back.</summary>
    public static Admission Rent(RedisKey bar, RedisKey active, RedisKey quota, RedisKey rate, RedisKey? call, RedisArgument[] args, RedisArgument nonce, RedisArgument patientHex, bool takesEntries, byte[] numbersNoRate, StoreKeys? namesOwner = null, PatientNames names = default)
    {
        if (!Pool.TryRent(out var admission))
        {
            admission = new Admission();
        }

        admission._bar = bar;
        admission._active = active;
        admission._quota = quota;
        admission._rate = rate;
        admission._call = call;
        admission._args = args;
        admission.NonceValue = nonce;
        admission.PatientHex = patientHex;
        admission.TakesEntries = takesEntries;
        admission._numbersNoRate = numbersNoRate;
        admission._namesOwner = namesOwner;
        admission._names = names;
        return admission;
    }

    /// <summary>How many keys <see cref="CopyKeysTo"/> writes: bar, active, quota, rate and (when judged here) the call's counter.</summary>
    public int KeyCount => _call is null ? 4 : 5;

    /// <summary>How many arguments <see cref="CopyArgsTo"/> writes.</summary>
    public int ArgCount => _args.Length + (3 * (_dead?.Count ?? 0));

    public RedisKey ActiveKey => _active;

    public RedisKey QuotaKey => _quota;

    /// <summary>The nonce as text (<see cref="NonceValue"/> made a string once; a cluster's lease keeps it).</summary>
    public string Nonce => _nonceText ??= (string)NonceValue!;

    /// <summary>The nonce as the scripts receive it.</summary>
    public RedisArgument NonceValue { get; private set; }

    /// <summary>The patient's 16 hex digits (a slice of the patient's names: no string of its own).</summary>
    public RedisArgument PatientHex { get; private set; }

    /// <summary>The calendar's reference (<c>&lt;provider&gt;:&lt;yyyymmdd&gt;</c>) the entries name.</summary>
    public string CalendarReference => (string)_args[CalendarAt]!;

    /// <summary>The calendar's reference as the scripts receive it (no string of its own).</summary>
    public RedisArgument CalendarReferenceValue => _args[CalendarAt];

    /// <summary>Whether a rule with entries (the cap, a quota) applies: then the claim records the nonce.</summary>
    public bool TakesEntries { get; private set; }

    public void CopyKeysTo(Span<RedisKey> destination)
    {
        destination[0] = _bar;
        destination[1] = _active;
        destination[2] = _quota;
        destination[3] = _rate;
        if (_call is { } counter)
        {
            destination[4] = counter;
        }
    }

    public void CopyArgsTo(Span<RedisArgument> destination)
    {
        _args.CopyTo(destination);
        if (_dead is null)
        {
            return;
        }

        var at = _args.Length;
        foreach (var (mark, field, value) in _dead)
        {
            destination[at++] = mark;
            destination[at++] = field;
            destination[at++] = value;
        }
    }

    /// <summary>
    /// The script that judged the admission rate has run: a later round of the same claim (after dead entries were found,
    /// or a lease ran out) sends no rate, so that one claim call is one attempt whatever its rounds.
    /// </summary>
    public void RateCounted() => _args[NumbersAt] = _numbersNoRate;

    public void SetDead(List<(string Mark, string Field, string Value)>? dead) => _dead = dead is { Count: > 0 } ? dead : null;

    /// <summary>
    /// The claim is done with it: the fixed arguments go back to the pool (they were only ever copied), and so does the
    /// admission, cleared. The caller must not use it again (once per <see cref="Rent"/>).
    /// </summary>
    public void Return()
    {
        _namesOwner = null; // the patient's names are left to the collector: a call that failed may still hold them
        _names = default;
        ReturnCore();
    }

    /// <summary>
    /// As <see cref="Return"/>, after a claim whose every call completed (its reply read) and that keeps nothing made of the
    /// patient's names (a plain claim on a standalone server: no lease): their arrays go back to <see cref="StoreKeys"/> too.
    /// </summary>
    public void ReturnCompleted()
    {
        _namesOwner?.GiveBack(_names);
        _namesOwner = null;
        _names = default;
        ReturnCore();
    }

    private void ReturnCore()
    {
        ScriptArguments.Return(_args);
        _args = [];
        _bar = default;
        _active = default;
        _quota = default;
        _rate = default;
        _call = null;
        _dead = null;
        _nonceText = null;
        NonceValue = default;
        PatientHex = default;
        TakesEntries = false;
        _numbersNoRate = [];

        Pool.Return(this);
    }
}

public sealed partial class RedisSlotEngine
{
    private const int MaxQuotaRounds = 3;

    /// <summary>The admissions' numbers, made once per shape (<see cref="AdmissionNumbers"/>).</summary>
    private readonly AdmissionNumbers.Cache _admissionNumbers = new();

    /// <summary>The local midnights an admission names (its entries' expiries), made once per day.</summary>
    private readonly MidnightCache _midnights = new();

    /// <summary>
    /// The patient-side rules a claim meets, as one admission (<c>admission_rate</c> and <c>admission_check</c> in
    /// <c>lib.lua</c>): the admission rate (<see cref="SlotEngineOptions.Admission"/>), the bar on the calendar's branch
    /// (<see cref="BookingRules.ChecksBars"/>), the active-appointment cap, one entry per daily quota rule, and
    /// (<paramref name="withCall"/>: a standalone server, where every key is on one server) the call's limit. Null when
    /// none applies: then the claim has no admission step at all.
    /// </summary>
    /// <param name="request">The claim.</param>
    /// <param name="calendar">Its calendar.</param>
    /// <param name="digest">The request's digest (a keyed request's nonce comes from it).</param>
    /// <param name="withCall">Whether the call's limit is judged in the admission too.</param>
    /// <param name="nonce">The nonce to use instead of the request's (a rebuild's).</param>
    /// <param name="quotasOnly">Only the daily quotas (a rebuild retakes the entries of its bookings).</param>
    /// <param name="rateOnly">Only the admission rate (a keyed retry answered without the claim script).</param>
    /// <param name="keys">The calendar's key names when the caller has them (else looked up).</param>
    private Admission? AdmissionOf(in ClaimRequest request, ReadModelCalendar calendar, string digest, bool withCall, string? nonce = null, bool quotasOnly = false, bool rateOnly = false, CalendarKeySet? keys = null)
    {
        var rules = _readModel.Rules;
        IReadOnlyList<QuotaRule> quotas = rateOnly ? [] : Options.Quotas.Rules;
        var rate = quotasOnly ? AdmissionRate.None : Options.Admission;
        var patientRules = !quotasOnly && !rateOnly;
        var bars = patientRules && rules.ChecksBars(request);
        var cap = patientRules ? rules.MaxActiveAppointments : 0;
        var call = withCall && patientRules && rules.CountsAgainstCall(request);
        if (!bars && cap == 0 && quotas.Count == 0 && !call && !rate.IsEnabled)
        {
            return null;
        }

        // An unkeyed claim's nonce is made random with the patient's names (NamesOf); a keyed one's comes from its key.
        return AdmissionFor(request, calendar, nonce ?? (request.IdempotencyKey is null ? null : NonceOf(request, digest)), bars, cap, call, rate, quotas, keys);
    }

    /// <summary>
    /// The keys and arguments of <c>admit.lua</c> for what is judged (shared by a claim's and a move's admission); a null
    /// <paramref name="nonce"/> makes a fresh random one.
    /// </summary>
    private Admission AdmissionFor(in ClaimRequest request, ReadModelCalendar calendar, string? nonce, bool bars, int cap, bool call, AdmissionRate rate, IReadOnlyList<QuotaRule> quotas, CalendarKeySet? keys = null)
    {
        var rules = _readModel.Rules;

        // The patient's names in one small allocation (a fresh nonce with them unless the caller has one).
        var names = _keys.NamesOf(request.Patient, nonce: nonce is null);
        var bar = names.Bar;

        // The rate's key only when it is judged (else the bar's, on the same tag and never touched), so that the call's stays fifth.
        // The numbers in one cached binary argument (AdmissionNumbers; admission_numbers in lib.lua).
        var numbers = _admissionNumbers.For(
            (long)Math.Ceiling(_options.QuotaLease.TotalMilliseconds),
            (long)Math.Ceiling(_options.ClockSkewAllowance.TotalMilliseconds),
            cap,
            call ? rules.MaxClaimsPerCall : 0,
            call ? (long)Math.Ceiling(rules.CallRetention.TotalMilliseconds) : 0,
            rate.IsEnabled ? rate.IntervalMicroseconds : 0,
            rate.IsEnabled ? rate.BurstMicroseconds : 0,
            quotas);
        var args = ScriptArguments.Rent(Admission.ScopesAt + quotas.Count);
        args[0] = nonce is null ? names.Nonce : (RedisArgument)nonce; // not `??`: that would make the fresh nonce a string
        args[1] = (keys ?? _keys.For(request.Calendar)).ReferenceValue;
        args[2] = bars ? calendar.Branch.Value : string.Empty;

        // The active entries outlive every claim they can hold: none is later than the booking horizon.
        args[3] = cap == 0 ? 0 : _midnights.UnixMsOf(Today.AddDays(rules.BookingHorizonDays + 2), Options.TimeZone);

        // A day's quota entries: two days after the day.
        args[4] = _midnights.UnixMsOf(calendar.Day.AddDays(2), Options.TimeZone);
        args[Admission.NumbersAt] = numbers.WithRate;
        var at = Admission.ScopesAt;
        for (var i = 0; i < quotas.Count; i++) // by index: a foreach over the interface would box an enumerator per claim
        {
            args[at++] = ScopeValue(quotas[i].Scope, calendar);
        }

        return Admission.Rent(
            bar,
            names.Active,
            names.Quota(_keys.QuotaSuffix(calendar.Day)),
            rate.IsEnabled ? names.Rate : bar,
            call ? (RedisKey?)_keys.CallKey(request.CallId!) : null,
            args,
            args[0],
            names.Hex,
            cap > 0 || quotas.Count > 0,
            numbers.NoRate,
            _keys,
            names);
    }

    /// <summary>
    /// Runs <c>admit.lua</c> on the patient's tag: the admission rate, the bar, the cap and the quotas in one step. On
    /// success the lease (entries taken, one deadline); when a rule is full, the named calendars are asked which of its
    /// entries are dead, those go to the next round for removal (without the rate: the attempt is counted once), and the
    /// round is tried again (<see cref="MaxQuotaRounds"/> at most).
    /// See docs/quotas-distributed.md.
    /// </summary>
    /// <returns>The lease, or null and why the claim is refused.</returns>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(QuotaLease? Lease, ClaimStatus Refusal)> AdmitAsync(Admission admission, CancellationToken cancellationToken)
    {
        admission.SetDead(null);
        var raw = await AdmitRoundAsync(admission, cancellationToken).ConfigureAwait(false);
        admission.RateCounted(); // a later round of this claim is not another attempt
        var (lease, status, full) = AdmitAnswer(raw, admission);
        return full is { } reply ? await AdmitMoreRoundsAsync(admission, reply, cancellationToken).ConfigureAwait(false) : (lease, status);
    }

    /// <summary>
    /// One round of <c>admit.lua</c> with <paramref name="admission"/>'s keys and arguments (copied into rented arrays, given back
    /// once the call completed); the answer is read by <see cref="AdmitAnswer"/>. Not async: a caller awaits it in its own
    /// state machine (a cluster claim's first round, <see cref="ClaimAnyAsync"/>).
    /// </summary>
    private ValueTask<RespResult> AdmitRoundAsync(Admission admission, CancellationToken cancellationToken)
    {
        var keys = ScriptArguments.RentKeys(admission.KeyCount);
        admission.CopyKeysTo(keys);
        var args = ScriptArguments.Rent(admission.ArgCount);
        admission.CopyArgsTo(args);
        return _redis.EvalRawAsync(_redis.Main, StoreScripts.Admit, keys, args, giveBackKeys: true, cancellationToken);
    }

    /// <summary>
    /// The rounds of an admission after a first answer of <c>full</c> (<paramref name="full"/>): the dead entries it names are
    /// looked for and sent for removal with the next round, up to <see cref="MaxQuotaRounds"/> rounds in all.
    /// </summary>
    private async ValueTask<(QuotaLease? Lease, ClaimStatus Refusal)> AdmitMoreRoundsAsync(Admission admission, RedisReply full, CancellationToken cancellationToken)
    {
        var reply = full;
        for (var round = 1; ; round++)
        {
            // The reply in hand is the previous round's, and says full.
            var refusal = FullRefusal(reply);
            if (round >= MaxQuotaRounds)
            {
                return (null, refusal);
            }

            var dead = await FindDeadEntriesAsync(reply, cancellationToken).ConfigureAwait(false);
            if (dead.Count == 0)
            {
                return (null, refusal);
            }

            admission.SetDead(dead);
            var raw = await AdmitRoundAsync(admission, cancellationToken).ConfigureAwait(false);
            var (lease, status, next) = AdmitAnswer(raw, admission);
            if (next is not { } again)
            {
                return (lease, status);
            }

            reply = again;
        }
    }

    /// <summary>The words of <c>admit.lua</c>'s answers but <c>ok</c> that end the admission.</summary>
    private static readonly (byte[] Word, ClaimStatus Status)[] AdmitRefusals =
    [
        ("rate"u8.ToArray(), ClaimStatus.RateLimited),
        ("barred"u8.ToArray(), ClaimStatus.Barred),
        ("call"u8.ToArray(), ClaimStatus.CallLimitReached),
    ];

    /// <summary>
    /// Reads <c>admit.lua</c>'s answer in place and disposes it: the lease (<c>ok</c>: its deadline and fields; its texts made
    /// only when asked, <see cref="QuotaLease"/>), a refusal, or (<c>full</c>) the reply as a tree for the dead entries' search.
    /// </summary>
    private static (QuotaLease? Lease, ClaimStatus Status, RedisReply? Full) AdmitAnswer(RespResult raw, Admission admission)
    {
        using (raw)
        {
            var reader = raw.Read();
            if (reader.IsAggregate && !reader.IsNull && reader.AggregateLength() is var length and > 0)
            {
                reader.MoveNext();
                if (reader.Prefix is RESPite.Messages.RespPrefix.BulkString or RESPite.Messages.RespPrefix.SimpleString && !reader.IsNull)
                {
                    if (reader.Is("ok"u8) && length >= 3)
                    {
                        reader.MoveNext();
                        var deadline = reader.ReadInt64();
                        reader.MoveNext();
                        var activeField = reader.ReadString();
                        var fields = length == 3 ? [] : new string[length - 3];
                        for (var i = 0; i < fields.Length; i++)
                        {
                            reader.MoveNext();
                            fields[i] = reader.ReadString()!;
                        }

                        var lease = new QuotaLease(admission.ActiveKey, admission.QuotaKey, string.IsNullOrEmpty(activeField) ? null : activeField, fields, admission.CalendarReferenceValue, admission.NonceValue, deadline);
                        return (lease, ClaimStatus.Succeeded, null);
                    }

                    foreach (var (word, status) in AdmitRefusals)
                    {
                        if (reader.Is(word))
                        {
                            return (null, status, null);
                        }
                    }
                }
            }

            var reply = RawReply.ToReply(raw);
            if (reply.Count > 0 && reply[0].AsString() == "full")
            {
                return (null, ClaimStatus.QuotaExceeded, reply);
            }

            throw new SlotEngineRedisException($"The admission script answered '{reply}'.");
        }
    }

    /// <summary>Which rule a <c>full</c> admission reply refuses by: the cap when it is full (it is judged first), else a quota.</summary>
    private static ClaimStatus FullRefusal(RedisReply reply) => reply[1].AsInt64() == 1 ? ClaimStatus.ActiveLimitReached : ClaimStatus.QuotaExceeded;

    /// <summary>
    /// Asks each calendar named by an undecided entry of a <c>full</c> admission reply (quads from element 3: 'a' or
    /// 'q', field, value, 1 when its lease has passed) whether the claim made under its nonce still lives.
    /// </summary>
    /// <returns>The dead entries: (mark, field, value).</returns>
    private async ValueTask<List<(string Mark, string Field, string Value)>> FindDeadEntriesAsync(RedisReply reply, CancellationToken cancellationToken)
    {
        var byCalendar = new Dictionary<string, List<(string Mark, string Field, string Value, string Nonce, bool LeasePassed)>>(StringComparer.Ordinal);
        for (var i = 3; i + 3 < reply.Count; i += 4)
        {
            var mark = reply[i].AsString()!;
            var field = reply[i + 1].AsString()!;
            var value = reply[i + 2].AsString()!;
            var parts = value.Split('|');
            if (!byCalendar.TryGetValue(parts[0], out var list))
            {
                byCalendar[parts[0]] = list = [];
            }

            list.Add((mark, field, value, parts[1], reply[i + 3].AsInt64() == 1));
        }

        var dead = new List<(string Mark, string Field, string Value)>();
        foreach (var (reference, entries) in byCalendar)
        {
            if (!StoreKeys.TryParseCalendarRef(reference, out var calendar))
            {
                continue;
            }

            // The cap counts future appointments only: its entries of a day before today are dead.
            var pastDay = calendar.Day < Today;
            var keys = _keys.For(calendar);
            var args = new RedisArgument[3 + entries.Count];
            args[0] = keys.Feed;
            args[1] = "0";
            args[2] = keys.Reference;
            for (var i = 0; i < entries.Count; i++)
            {
                args[3 + i] = entries[i].Nonce;
            }

            RedisReply live = default;
            if (!pastDay || entries.Exists(e => e.Mark != "a"))
            {
                live = await EvalAsync(StoreScripts.Live, CalendarKeys(keys), args, cancellationToken).ConfigureAwait(false);
            }

            for (var i = 0; i < entries.Count; i++)
            {
                if (pastDay && entries[i].Mark == "a")
                {
                    dead.Add((entries[i].Mark, entries[i].Field, entries[i].Value));
                    continue;
                }

                // 0: the claim was made and is gone. 2: never made under this nonce; once the lease has
                // passed (by the patient's shard's clock, plus the skew allowance) it never can be.
                var answer = live[i].AsInt64();
                if (answer == 0 || (answer == 2 && entries[i].LeasePassed))
                {
                    dead.Add((entries[i].Mark, entries[i].Field, entries[i].Value));
                }
            }
        }

        return dead;
    }

    /// <summary>
    /// Gives back the entries of a claim that definitely did not happen (both of the patient's hashes in one script).
    /// Best effort: an entry left behind dies with its lease. A keyed request's entries may be shared with a twin of
    /// the same request still on its way to the calendar, so its lease is first burned there (<paramref name="sharedOn"/>):
    /// if a claim already used it, the entries stay with that claim.
    /// </summary>
    /// <returns>False when a call failed (the client may still hold the lease's keys, so the patient's names are not reused).</returns>
    private async ValueTask<bool> ReleaseQuotaAsync(QuotaLease lease, CalendarKeySet? sharedOn)
    {
        if (lease.IsEmpty)
        {
            return true;
        }

        if (sharedOn is not null)
        {
            try
            {
                var burned = await EvalAsync(StoreScripts.Burn, CalendarKeys(sharedOn), FeedArgs(sharedOn, lease.Nonce, lease.DeadlineMs), CancellationToken.None).ConfigureAwait(false);
                if (burned.AsInt64() == 0)
                {
                    return true;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                Warn($"Could not burn the quota lease of a failed claim ({e.Message}); its entries free themselves when the lease ends.");
                return false;
            }
        }

        var args = new RedisArgument[1 + (2 * (lease.QuotaFields.Length + (lease.ActiveField is null ? 0 : 1)))];
        args[0] = lease.Value;
        var at = 1;
        if (lease.ActiveField is { } activeField)
        {
            args[at++] = 1;
            args[at++] = activeField;
        }

        foreach (var field in lease.QuotaFields)
        {
            args[at++] = 2;
            args[at++] = field;
        }

        try
        {
            await EvalAsync(StoreScripts.QuotaRelease, [lease.ActiveKey, lease.QuotaKey], args, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Warn($"Could not give back quota entries of a failed claim ({e.Message}); they free themselves when their lease ends.");
            return false;
        }
    }
}
