using SlotEngine.Redis.Client;

namespace SlotEngine.Redis;

// The replies of the scripts that change claims, one typed reader each (the other half of issue 9's "one parse/format
// pair per Lua<->C# format"; the text formats are in StoreFormats.cs). The Lua side of each reply is the header comment
// and the `return { ... }` lines of its script; change both together. Round-trip tests run each script on a real server
// in every shape (tests/SlotEngine.Redis.Tests/Store/ScriptReplyTests.cs).

/// <summary>The first element of <c>claim.lua</c>'s reply.</summary>
internal enum ClaimScriptStatus
{
    /// <summary>A word this version does not know (a newer script): the caller treats it as an error.</summary>
    Unknown = 0,

    /// <summary><c>ok</c>: claimed.</summary>
    Ok,

    /// <summary><c>again</c>: the same keyed request claimed earlier; the reply carries that claim.</summary>
    Again,

    /// <summary><c>gone</c>: the calendar is not published.</summary>
    Gone,

    /// <summary><c>reused</c>: the idempotency key belongs to another request.</summary>
    Reused,

    /// <summary><c>window</c>: outside the booking window (by Redis's clock).</summary>
    Window,

    /// <summary><c>past</c>: the first slot has started (by Redis's clock).</summary>
    Past,

    /// <summary><c>lease</c>: the quota lease ran out or was taken back.</summary>
    Lease,

    /// <summary><c>closed</c>: a slot is closed (blocked or outside the template) on every seat.</summary>
    Closed,

    /// <summary><c>taken</c>: no seat has all the slots free.</summary>
    Taken,

    /// <summary><c>tokens</c>: the calendar has issued every fencing token it can.</summary>
    Tokens,

    /// <summary><c>barred</c> (admission in the claim script): the patient is barred from the branch.</summary>
    Barred,

    /// <summary><c>call</c> (admission in the claim script): the call has used every place.</summary>
    CallLimit,

    /// <summary><c>full</c> (admission in the claim script): the cap or a quota rule is full; the reply lists its entries.</summary>
    Full,

    /// <summary><c>notopen</c>: the day has not opened for the patient's cohort yet (by Redis's clock).</summary>
    NotYetOpen,

    /// <summary><c>reserved</c>: the slots are reserved for a pool the claim does not carry, and no unreserved seat exists.</summary>
    ReservedForPool,

    /// <summary><c>rate</c> (admission in the claim script): the patient's admission rate (<see cref="AdmissionRate"/>) refused the attempt.</summary>
    RateLimited,
}

/// <summary>
/// <c>claim.lua</c>'s reply: <c>{'ok', seat, token, expiry ms, version, 1 when expired holds were reclaimed}</c>,
/// <c>{'again', seat, token, expiry ms}</c>, <c>{'reused', digest}</c>, <c>{'taken' or 'closed' or 'tokens', lapsed}</c> or <c>{status}</c>.
/// </summary>
/// <param name="Status">What happened.</param>
/// <param name="Seat">The seat claimed (<see cref="ClaimScriptStatus.Ok"/>, <see cref="ClaimScriptStatus.Again"/>).</param>
/// <param name="Token">Its fencing token (same).</param>
/// <param name="HoldExpiryMs">A hold's expiry (Unix ms, Redis clock); 0 for a booking (same).</param>
/// <param name="Version">The calendar's version after the claim (<see cref="ClaimScriptStatus.Ok"/> only; 0 otherwise).</param>
/// <param name="Reclaimed">
/// Whether expired holds were reclaimed on the way (<see cref="ClaimScriptStatus.Ok"/>); also true when the reply does not
/// say (a script older than the flag), so that the read model reloads rather than applying a change it cannot see whole.
/// </param>
/// <param name="Digest">The digest of the request that owns the key (<see cref="ClaimScriptStatus.Reused"/> only).</param>
/// <param name="Lapsed">
/// How many of the holds reclaimed on the way were unapproved bookings released at their approval deadline
/// (<see cref="ClaimScriptStatus.Ok"/>, and <see cref="ClaimScriptStatus.Taken"/>, <see cref="ClaimScriptStatus.Closed"/>,
/// <see cref="ClaimScriptStatus.Tokens"/>: a claim that failed after reclaiming some; 0 when the reply does not say).
/// </param>
internal readonly record struct ClaimScriptReply(ClaimScriptStatus Status, int Seat, long Token, long HoldExpiryMs, long Version, bool Reclaimed, string? Digest, int Lapsed = 0)
{
    /// <summary>Whether the claim exists now (<see cref="ClaimScriptStatus.Ok"/> or <see cref="ClaimScriptStatus.Again"/>).</summary>
    public bool Claimed => Status is ClaimScriptStatus.Ok or ClaimScriptStatus.Again;

    /// <summary>Reads a reply; an unknown word gives <see cref="ClaimScriptStatus.Unknown"/> and no fields.</summary>
    /// <exception cref="InvalidCastException">A known word with elements that are not numbers.</exception>
    public static ClaimScriptReply Parse(RedisReply reply)
    {
        var status = reply.Count > 0 ? StatusOf(reply[0]) : ClaimScriptStatus.Unknown;
        switch (status)
        {
            case ClaimScriptStatus.Ok:
                return new ClaimScriptReply(status, (int)reply[1].AsInt64(), reply[2].AsInt64(), reply[3].AsInt64(), reply[4].AsInt64(), reply.Count <= 5 || reply[5].AsInt64() != 0, null, reply.Count > 6 ? (int)reply[6].AsInt64() : 0);
            case ClaimScriptStatus.Again:
                return new ClaimScriptReply(status, (int)reply[1].AsInt64(), reply[2].AsInt64(), reply[3].AsInt64(), 0, false, null);
            case ClaimScriptStatus.Reused:
                return new ClaimScriptReply(status, 0, 0, 0, 0, false, reply.Count > 1 ? reply[1].AsString() : null);
            case ClaimScriptStatus.Taken or ClaimScriptStatus.Closed or ClaimScriptStatus.Tokens:
                return new ClaimScriptReply(status, 0, 0, 0, 0, false, null, reply.Count > 1 ? (int)reply[1].AsInt64() : 0);
            default:
                return new ClaimScriptReply(status, 0, 0, 0, 0, false, null);
        }
    }

    /// <summary>As <see cref="Parse(StackExchange.Redis.RespResult, out RedisReply)"/>, then gives the leased reply back: the reply's last reader.</summary>
    public static ClaimScriptReply ParseAndDispose(StackExchange.Redis.RespResult raw, out RedisReply tree)
    {
        using (raw)
        {
            return Parse(raw, out tree);
        }
    }

    /// <summary>
    /// Reads an undecoded reply in place: <c>ok</c> and the refusals that carry only numbers allocate nothing;
    /// any other answer is read as a tree, set in <paramref name="tree"/> for the callers that look further
    /// (<c>full</c>'s entries, an unknown word's text), and parsed as <see cref="Parse(RedisReply)"/> does.
    /// </summary>
    public static ClaimScriptReply Parse(StackExchange.Redis.RespResult raw, out RedisReply tree)
    {
        tree = default;
        Span<long> numbers = stackalloc long[6];
        var count = RawReply.ReadFlat(raw, Words, ClaimScriptStatus.Unknown, numbers, out var status);
        switch (status)
        {
            case ClaimScriptStatus.Ok when count >= 4:
                // {'ok', seat, token, expiry, version[, reclaimed[, lapsed]]}, as Parse(RedisReply) reads it
                return new ClaimScriptReply(status, (int)numbers[0], numbers[1], numbers[2], numbers[3], count <= 4 || numbers[4] != 0, null, count > 5 ? (int)numbers[5] : 0);
            case ClaimScriptStatus.Taken or ClaimScriptStatus.Closed or ClaimScriptStatus.Tokens when count >= 0:
                return new ClaimScriptReply(status, 0, 0, 0, 0, false, null, count > 0 ? (int)numbers[0] : 0);
            case ClaimScriptStatus.Window or ClaimScriptStatus.Past or ClaimScriptStatus.Lease or ClaimScriptStatus.Gone or ClaimScriptStatus.Barred
                or ClaimScriptStatus.CallLimit or ClaimScriptStatus.NotYetOpen or ClaimScriptStatus.ReservedForPool or ClaimScriptStatus.RateLimited when count == 0:
                return new ClaimScriptReply(status, 0, 0, 0, 0, false, null);
            default:
                tree = RawReply.ToReply(raw);
                return Parse(tree);
        }
    }

    /// <summary>The status words, the commonest first.</summary>
    private static readonly (byte[] Word, ClaimScriptStatus Status)[] Words =
    [
        ("ok"u8.ToArray(), ClaimScriptStatus.Ok),
        ("taken"u8.ToArray(), ClaimScriptStatus.Taken),
        ("again"u8.ToArray(), ClaimScriptStatus.Again),
        ("gone"u8.ToArray(), ClaimScriptStatus.Gone),
        ("reused"u8.ToArray(), ClaimScriptStatus.Reused),
        ("window"u8.ToArray(), ClaimScriptStatus.Window),
        ("past"u8.ToArray(), ClaimScriptStatus.Past),
        ("lease"u8.ToArray(), ClaimScriptStatus.Lease),
        ("closed"u8.ToArray(), ClaimScriptStatus.Closed),
        ("tokens"u8.ToArray(), ClaimScriptStatus.Tokens),
        ("barred"u8.ToArray(), ClaimScriptStatus.Barred),
        ("call"u8.ToArray(), ClaimScriptStatus.CallLimit),
        ("full"u8.ToArray(), ClaimScriptStatus.Full),
        ("notopen"u8.ToArray(), ClaimScriptStatus.NotYetOpen),
        ("reserved"u8.ToArray(), ClaimScriptStatus.ReservedForPool),
        ("rate"u8.ToArray(), ClaimScriptStatus.RateLimited),
    ];

    /// <summary>The status word, read from the reply's bytes (no string per call).</summary>
    private static ClaimScriptStatus StatusOf(RedisReply word) => ScriptWord.Find(word, Words, ClaimScriptStatus.Unknown);
}

/// <summary>The first element of <c>confirm.lua</c>'s and <c>release.lua</c>'s replies.</summary>
internal enum ChangeScriptStatus
{
    /// <summary>A word this version does not know: the callers treat it as <see cref="Stale"/>.</summary>
    Unknown = 0,

    /// <summary><c>ok</c>: done (for a confirm, possibly earlier: then the version is 0).</summary>
    Ok,

    /// <summary><c>stale</c>: the reservation does not hold its claim (any more).</summary>
    Stale,

    /// <summary><c>expired</c> (confirm only): the hold's expiry has passed.</summary>
    Expired,

    /// <summary><c>late</c> (release only): past the cancellation cutoff.</summary>
    Late,

    /// <summary>
    /// <c>unapproved</c> (confirm only, <c>{'unapproved', deadline ms, version}</c>): an unapproved booking, a hold expiring at its
    /// approval deadline (<see cref="ChangeScriptReply.DeadlineMs"/>); the version is 0 when nothing changed.
    /// </summary>
    Unapproved,
}

/// <summary>
/// The reply of <c>confirm.lua</c> (<c>{'ok', version (0 when booked already)}</c>, <c>{'stale', now ms}</c>,
/// <c>{'expired', now ms}</c>) or <c>release.lua</c> (<c>{'ok', version}</c>, <c>{'stale'}</c>, <c>{'late'}</c>).
/// </summary>
/// <param name="Status">What happened.</param>
/// <param name="Version">The calendar's version after the change (<see cref="ChangeScriptStatus.Ok"/>; 0: nothing written).</param>
/// <param name="NowMs">Redis's clock (Unix ms) when the script refused (confirm only; 0 when the reply does not say).</param>
/// <param name="DeadlineMs">An unapproved booking's approval deadline (Unix ms; <see cref="ChangeScriptStatus.Unapproved"/> only).</param>
internal readonly record struct ChangeScriptReply(ChangeScriptStatus Status, long Version, long NowMs, long DeadlineMs = 0)
{
    /// <summary>Reads a reply of <c>confirm.lua</c> or <c>release.lua</c>.</summary>
    /// <exception cref="InvalidCastException">A second element that is not a number.</exception>
    public static ChangeScriptReply Parse(RedisReply reply)
    {
        var status = reply.Count > 0 ? StatusOf(reply[0]) : ChangeScriptStatus.Unknown;
        if (status == ChangeScriptStatus.Unapproved)
        {
            return reply.Count > 2 ? new ChangeScriptReply(status, reply[2].AsInt64(), 0, reply[1].AsInt64()) : new ChangeScriptReply(ChangeScriptStatus.Unknown, 0, 0);
        }

        var second = reply.Count > 1 ? reply[1].AsInt64() : 0;
        return status == ChangeScriptStatus.Ok
            ? new ChangeScriptReply(status, second, 0)
            : new ChangeScriptReply(status, 0, second);
    }

    /// <summary>As <see cref="Parse(StackExchange.Redis.RespResult, out RedisReply)"/>, then gives the leased reply back: the reply's last reader.</summary>
    public static ChangeScriptReply ParseAndDispose(StackExchange.Redis.RespResult raw)
    {
        using (raw)
        {
            return Parse(raw, out _);
        }
    }

    /// <summary>
    /// Reads an undecoded reply in place (<c>{word[, integer[, integer]]}</c> allocates nothing); any other shape is read as a
    /// tree, set in <paramref name="tree"/>, and parsed as <see cref="Parse(RedisReply)"/> does.
    /// </summary>
    public static ChangeScriptReply Parse(StackExchange.Redis.RespResult raw, out RedisReply tree)
    {
        tree = default;
        Span<long> numbers = stackalloc long[2];
        var count = RawReply.ReadFlat(raw, Words, ChangeScriptStatus.Unknown, numbers, out var status);
        if (status == ChangeScriptStatus.Unapproved && count >= 2)
        {
            return new ChangeScriptReply(status, numbers[1], 0, numbers[0]);
        }

        if (status is not (ChangeScriptStatus.Unknown or ChangeScriptStatus.Unapproved) && count >= 0)
        {
            var second = count > 0 ? numbers[0] : 0;
            return status == ChangeScriptStatus.Ok ? new ChangeScriptReply(status, second, 0) : new ChangeScriptReply(status, 0, second);
        }

        tree = RawReply.ToReply(raw);
        return Parse(tree);
    }

    /// <summary>The status words, the commonest first.</summary>
    private static readonly (byte[] Word, ChangeScriptStatus Status)[] Words =
    [
        ("ok"u8.ToArray(), ChangeScriptStatus.Ok),
        ("stale"u8.ToArray(), ChangeScriptStatus.Stale),
        ("expired"u8.ToArray(), ChangeScriptStatus.Expired),
        ("late"u8.ToArray(), ChangeScriptStatus.Late),
        ("unapproved"u8.ToArray(), ChangeScriptStatus.Unapproved),
    ];

    /// <summary>The status word, read from the reply's bytes (no string per call).</summary>
    private static ChangeScriptStatus StatusOf(RedisReply word) => ScriptWord.Find(word, Words, ChangeScriptStatus.Unknown);
}

/// <summary>
/// <c>block.lua</c>'s reply: <c>{-1}</c> when the calendar is not published, else <c>{closed seats, version,
/// displaced claim descriptions...}</c> (each in <see cref="StoredClaim.FormatRemoved"/>'s text; a lapsed booking's with
/// <c>|u</c> appended).
/// </summary>
/// <param name="Gone">The calendar is not published (nothing else is set).</param>
/// <param name="Closed">How many seat-slots were closed.</param>
/// <param name="Version">The calendar's version after the block (for a withdrawal, the version of its <c>gone</c> message).</param>
/// <param name="Displaced">The live claims removed, in the script's order.</param>
/// <param name="Lapsed">
/// How many unapproved bookings past their approval deadline the block released (descriptions ending <c>|u</c>: audited
/// as lapsed, not displaced).
/// </param>
internal readonly record struct BlockScriptReply(bool Gone, int Closed, long Version, DisplacedClaim[] Displaced, int Lapsed = 0)
{
    /// <summary>Reads a reply for <paramref name="calendar"/> (the descriptions carry no calendar).</summary>
    /// <exception cref="InvalidCastException">An element that is not of its type.</exception>
    /// <exception cref="FormatException">A description that is not a removed claim.</exception>
    public static BlockScriptReply Parse(CalendarKey calendar, RedisReply reply)
    {
        var closed = (int)reply[0].AsInt64();
        if (closed < 0)
        {
            return new BlockScriptReply(true, 0, 0, []);
        }

        // Descriptions ending "|u" are unapproved bookings released at their deadline (counted, not displaced).
        var lapsed = 0;
        for (var i = 2; i < reply.Count; i++)
        {
            if (reply[i].AsString()!.EndsWith("|u", StringComparison.Ordinal))
            {
                lapsed++;
            }
        }

        var displaced = reply.Count - 2 - lapsed > 0 ? new DisplacedClaim[reply.Count - 2 - lapsed] : [];
        var next = 0;
        for (var i = 2; i < reply.Count; i++)
        {
            var text = reply[i].AsString()!;
            if (!text.EndsWith("|u", StringComparison.Ordinal))
            {
                var reservation = StoredClaim.ParseRemoved(calendar, text, out var booked);
                displaced[next++] = new DisplacedClaim(reservation, booked);
            }
        }

        return new BlockScriptReply(false, closed, reply[1].AsInt64(), displaced, lapsed);
    }
}

/// <summary><c>reopen.lua</c>'s reply: <c>{-1, 0}</c> when the calendar is not published, else <c>{opened seats, version}</c>.</summary>
/// <param name="Gone">The calendar is not published (nothing else is set).</param>
/// <param name="Opened">How many seat-slots were opened.</param>
/// <param name="Version">The calendar's version after the reopen (unchanged when nothing opened).</param>
internal readonly record struct ReopenScriptReply(bool Gone, int Opened, long Version)
{
    /// <summary>Reads a reply.</summary>
    /// <exception cref="InvalidCastException">An element that is not a number.</exception>
    public static ReopenScriptReply Parse(RedisReply reply)
    {
        var opened = (int)reply[0].AsInt64();
        return opened < 0 ? new ReopenScriptReply(true, 0, 0) : new ReopenScriptReply(false, opened, reply[1].AsInt64());
    }
}

/// <summary>Reads a script's status word by its bytes: no string per reply.</summary>
internal static class ScriptWord
{
    /// <summary>The status of <paramref name="reply"/>'s word in <paramref name="words"/>, or <paramref name="unknown"/>.</summary>
    public static TStatus Find<TStatus>(RedisReply reply, (byte[] Word, TStatus Status)[] words, TStatus unknown)
    {
        Span<byte> text = stackalloc byte[16];
        var length = reply.CopyWord(text);
        if (length >= 0)
        {
            foreach (var (word, status) in words)
            {
                if (text[..length].SequenceEqual(word))
                {
                    return status;
                }
            }
        }

        return unknown;
    }
}

/// <summary>
/// <c>outcome.lua</c>'s answer, <c>{'ok', now ms}</c> or <c>{'stale', now ms}</c>: whether the outcome was recorded. Read in place
/// (no tree, nothing allocated for these shapes); any other shape is read as a tree and is "ok" only when its first element says so.
/// </summary>
internal static class OutcomeScriptReply
{
    private static readonly (byte[] Word, bool Recorded)[] Words = [("ok"u8.ToArray(), true)];

    /// <summary>Whether the reply says <c>ok</c>; the reply is given back.</summary>
    public static bool ParseAndDispose(StackExchange.Redis.RespResult raw)
    {
        using (raw)
        {
            Span<long> numbers = stackalloc long[2];
            return RawReply.ReadFlat(raw, Words, false, numbers, out var recorded) >= 0
                ? recorded
                : RawReply.ToReply(raw) is { IsNull: false } tree && tree.Count > 0 && tree[0].AsString() == "ok";
        }
    }
}

/// <summary>
/// <c>move_settle.lua</c>'s answer to <c>commit</c>: <c>{'done', result, version}</c>, or <c>{state, text}</c> when the intent was
/// settled before or the moved claim is gone. Read in place: the state word as one of the known words (a literal, nothing
/// allocated) and the version when present; an unknown word or another shape is read as a tree, as before.
/// </summary>
internal static class MoveSettleScriptReply
{
    private static readonly (byte[] Word, string State)[] Words = [("done"u8.ToArray(), "done"), ("stale"u8.ToArray(), "stale"), ("aborted"u8.ToArray(), "aborted"), ("open"u8.ToArray(), "open")];

    /// <summary>The state word and the calendar's new version (0 when the reply carries none); the reply is given back.</summary>
    public static string ParseAndDispose(StackExchange.Redis.RespResult raw, out long version)
    {
        using (raw)
        {
            if (TryRead(raw, out var state, out version))
            {
                return state;
            }

            var tree = RawReply.ToReply(raw);
            version = tree.Count > 2 ? tree[2].AsInt64() : 0;
            return tree[0].AsString()!;
        }
    }

    private static bool TryRead(StackExchange.Redis.RespResult raw, out string state, out long version)
    {
        state = string.Empty;
        version = 0;
        var reader = raw.Read();
        if (!reader.IsAggregate || reader.IsNull)
        {
            return false;
        }

        var length = reader.AggregateLength();
        if (length is < 1 or > 3)
        {
            return false;
        }

        reader.MoveNext();
        if (reader.Prefix is not (RESPite.Messages.RespPrefix.BulkString or RESPite.Messages.RespPrefix.SimpleString) || reader.IsNull)
        {
            return false;
        }

        foreach (var (word, known) in Words)
        {
            if (reader.Is(word))
            {
                state = known;
                break;
            }
        }

        if (state.Length == 0)
        {
            return false; // an unknown word: its text, from the tree
        }

        if (length < 3)
        {
            return true;
        }

        reader.MoveNext(); // the result text, not needed: a scalar, skipped unread
        if (reader.IsAggregate)
        {
            return false;
        }

        reader.MoveNext();
        return reader.Prefix == RESPite.Messages.RespPrefix.Integer && reader.TryReadInt64(out version);
    }
}
