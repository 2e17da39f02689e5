using System.Globalization;

namespace SlotEngine.Redis;

// Each text format the Lua scripts and the store exchange has one parse/format pair here (or, for a stored
// claim, beside its parser in StoredClaim), and a round-trip test against a real server runs the scripts' own
// side (tests/SlotEngine.Redis.Tests/Store/StoreFormatTests.cs). The scripts' side of each format is named
// in its summary; change both together. The scripts' replies have their typed readers in ScriptReplies.cs.

/// <summary>What a change-feed message says besides the version: nothing, a new generation of the calendar, or that it is gone.</summary>
internal enum FeedChange
{
    /// <summary>An ordinary change: the version follows the one before.</summary>
    Change = 0,

    /// <summary><c>reset</c>: published again or rebuilt; versions start a new sequence, so reload whatever is held.</summary>
    Reset,

    /// <summary><c>gone</c>: withdrawn.</summary>
    Gone,

    /// <summary>A word a newer version of the scripts wrote: treated as a new generation (reload).</summary>
    Unknown,
}

/// <summary>Which change a feed message's delta describes.</summary>
internal enum FeedOp
{
    /// <summary>No delta: the message says only that the version moved (reload to see what changed).</summary>
    None = 0,

    /// <summary>
    /// <c>+seat,first,length,token,patient hex,hold expiry ms (0: booked)[,u]</c>: a hold or booking made; <c>,u</c> marks a
    /// booking that awaits approval (kept as a hold expiring at its deadline, <see cref="FeedDelta.AwaitsApproval"/>).
    /// </summary>
    Claim,

    /// <summary><c>*seat,first,token</c>: a hold confirmed.</summary>
    Confirm,

    /// <summary><c>-seat,first,token</c>: a hold or booking released or cancelled (also one displaced by a block, or an expired hold swept or reclaimed).</summary>
    Release,

    /// <summary><c>xfirst,length</c>: the range closed on every seat (a block's last step; <see cref="FeedDelta.First"/> and <see cref="FeedDelta.Length"/>).</summary>
    Close,

    /// <summary><c>ofirst,length</c>: the range's closed seats that the template offers reopened.</summary>
    Reopen,

    /// <summary>
    /// <c>~seat,first,token,deadline ms</c>: a hold confirmed far enough ahead to need approval: it stays a hold, now expiring
    /// at its approval deadline (<see cref="FeedDelta.HoldExpiryMs"/>), and awaits approval. Written by <c>confirm.lua</c>.
    /// </summary>
    AwaitApproval,
}

/// <summary>What one change did to a calendar, as its feed message carries it (see <see cref="FeedOp"/> for the texts).</summary>
/// <param name="Op">Which change (<see cref="FeedOp.None"/>: not described).</param>
/// <param name="Seat">The claim's seat.</param>
/// <param name="First">Its first slot.</param>
/// <param name="Length">How many slots (claims only).</param>
/// <param name="Token">Its fencing token.</param>
/// <param name="Patient">Its owner (claims only).</param>
/// <param name="HoldExpiryMs">A hold's expiry (Unix ms, Redis clock); 0 for a booking (claims and <see cref="FeedOp.AwaitApproval"/> only).</param>
/// <param name="AwaitsApproval">A claim that is a booking awaiting approval (its hold expiry is its deadline; claims only).</param>
internal readonly record struct FeedDelta(FeedOp Op, int Seat, int First, int Length, long Token, PatientKey Patient, long HoldExpiryMs, bool AwaitsApproval = false)
{
    /// <summary>The delta as the scripts write it (after the <c>|</c>); empty for <see cref="FeedOp.None"/>.</summary>
    public string Format() => Op switch
    {
        FeedOp.Claim => string.Create(CultureInfo.InvariantCulture, $"+{Seat},{First},{Length},{Token},{Patient.Value:x16},{HoldExpiryMs}{(AwaitsApproval ? ",u" : string.Empty)}"),
        FeedOp.AwaitApproval => string.Create(CultureInfo.InvariantCulture, $"~{Seat},{First},{Token},{HoldExpiryMs}"),
        FeedOp.Confirm => string.Create(CultureInfo.InvariantCulture, $"*{Seat},{First},{Token}"),
        FeedOp.Release => string.Create(CultureInfo.InvariantCulture, $"-{Seat},{First},{Token}"),
        FeedOp.Close => string.Create(CultureInfo.InvariantCulture, $"x{First},{Length}"),
        FeedOp.Reopen => string.Create(CultureInfo.InvariantCulture, $"o{First},{Length}"),
        _ => string.Empty,
    };

    /// <summary>Parses a delta field (with its leading <c>+</c>, <c>*</c>, <c>-</c>, <c>x</c>, <c>o</c> or <c>~</c>); allocates nothing.</summary>
    public static bool TryParse(ReadOnlySpan<char> field, out FeedDelta delta)
    {
        delta = default;
        if (field.IsEmpty)
        {
            return false;
        }

        var op = field[0] switch { '+' => FeedOp.Claim, '*' => FeedOp.Confirm, '-' => FeedOp.Release, 'x' => FeedOp.Close, 'o' => FeedOp.Reopen, '~' => FeedOp.AwaitApproval, _ => FeedOp.None };
        if (op == FeedOp.None)
        {
            return false;
        }

        var rest = field[1..];
        if (op is FeedOp.Close or FeedOp.Reopen)
        {
            if (!NextInt(ref rest, out var from) || !NextInt(ref rest, out var count) || !rest.IsEmpty)
            {
                return false;
            }

            delta = new FeedDelta(op, 0, from, count, 0, default, 0);
            return true;
        }

        if (!NextInt(ref rest, out var seat) || !NextInt(ref rest, out var first))
        {
            return false;
        }

        if (op == FeedOp.AwaitApproval)
        {
            if (!NextLong(ref rest, out var awaitingToken) || !NextLong(ref rest, out var deadline) || !rest.IsEmpty)
            {
                return false;
            }

            delta = new FeedDelta(op, seat, first, 0, awaitingToken, default, deadline, AwaitsApproval: true);
            return true;
        }

        if (op != FeedOp.Claim)
        {
            if (!NextLong(ref rest, out var token) || !rest.IsEmpty)
            {
                return false;
            }

            delta = new FeedDelta(op, seat, first, 0, token, default, 0);
            return true;
        }

        if (!NextInt(ref rest, out var length) || !NextLong(ref rest, out var claimToken) || !NextPart(ref rest, out var patientText)
            || !ulong.TryParse(patientText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var patient)
            || !NextLong(ref rest, out var expiry))
        {
            return false;
        }

        // Scripts before the approval flag end after the expiry: read as not awaiting approval.
        var awaits = rest.SequenceEqual("u");
        if (!awaits && !rest.IsEmpty)
        {
            return false;
        }

        delta = new FeedDelta(op, seat, first, length, claimToken, new PatientKey(patient), expiry, awaits);
        return true;
    }

    private static bool NextPart(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> part)
    {
        var comma = rest.IndexOf(',');
        part = comma < 0 ? rest : rest[..comma];
        rest = comma < 0 ? [] : rest[(comma + 1)..];
        return !part.IsEmpty;
    }

    private static bool NextInt(ref ReadOnlySpan<char> rest, out int value)
    {
        value = 0;
        return NextPart(ref rest, out var part) && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool NextLong(ref ReadOnlySpan<char> rest, out long value)
    {
        value = 0;
        return NextPart(ref rest, out var part) && long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>
/// A change-feed message: <c>&lt;provider&gt;:&lt;yyyymmdd&gt;|&lt;version&gt;[|reset or |gone]|t&lt;Redis TIME in ms&gt;[|delta]</c>.
/// Lua side: <c>bump</c> in <c>lib.lua</c> (with the delta its caller passes: <c>claim.lua</c>, <c>confirm.lua</c>,
/// <c>release.lua</c>, <c>block.lua</c>, <c>reopen.lua</c>, <c>sweep.lua</c>), <c>publish.lua</c>, <c>rebuild.lua</c> (<c>reset</c>) and <c>block.lua</c> (<c>gone</c>).
/// Messages of older scripts have no <c>t</c> field (<see cref="ChangedAtMs"/> 0) and no delta.
/// </summary>
/// <param name="Calendar">The calendar that changed.</param>
/// <param name="Version">Its version after the change.</param>
/// <param name="Change">What kind of change.</param>
/// <param name="ChangedAtMs">When, by the Redis server's clock (Unix ms), or 0 when the message does not say.</param>
/// <param name="Delta">What the change did, when the message says (<see cref="FeedOp.None"/> otherwise: reload to see).</param>
internal readonly record struct FeedMessage(CalendarKey Calendar, long Version, FeedChange Change, long ChangedAtMs, FeedDelta Delta = default)
{
    /// <summary>Whether the calendar's versions start a new sequence (anything but <see cref="FeedChange.Change"/>): the version order says nothing, reload.</summary>
    public bool NewGeneration => Change != FeedChange.Change;

    /// <summary>Parses a message; allocates nothing. False for text that is not a feed message.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out FeedMessage message)
    {
        message = default;
        var bar = text.IndexOf('|');
        if (bar <= 0 || !StoreKeys.TryParseCalendarRef(text[..bar], out var key))
        {
            return false;
        }

        var rest = text[(bar + 1)..];
        var end = rest.IndexOf('|');
        var versionText = end < 0 ? rest : rest[..end];
        var fields = end < 0 ? [] : rest[(end + 1)..];
        var change = FeedChange.Change;
        long changedAtMs = 0;
        FeedDelta delta = default;
        while (!fields.IsEmpty)
        {
            var next = fields.IndexOf('|');
            var field = next < 0 ? fields : fields[..next];
            fields = next < 0 ? [] : fields[(next + 1)..];
            if (field.Length > 1 && field[0] == 't' && long.TryParse(field[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                changedAtMs = ms;
            }
            else if (delta.Op == FeedOp.None && field.Length > 1 && field[0] is '+' or '*' or '-' or 'x' or 'o' or '~' && FeedDelta.TryParse(field, out var parsed))
            {
                delta = parsed;
            }
            else if (change == FeedChange.Change)
            {
                change = field.SequenceEqual("reset") ? FeedChange.Reset : field.SequenceEqual("gone") ? FeedChange.Gone : FeedChange.Unknown;
            }
        }

        // A new generation needs no version (its order says nothing); an ordinary change does.
        long version = 0;
        if (!long.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out version) && change == FeedChange.Change)
        {
            return false;
        }

        message = new FeedMessage(key, version, change, changedAtMs, change == FeedChange.Change ? delta : default);
        return true;
    }

    /// <summary>The message as the scripts write it (<see cref="FeedChange.Unknown"/> is written as <c>reset</c>).</summary>
    public string Format()
    {
        var word = Change switch
        {
            FeedChange.Change => string.Empty,
            FeedChange.Gone => "|gone",
            _ => "|reset",
        };
        var time = ChangedAtMs > 0 ? "|t" + ChangedAtMs.ToString(CultureInfo.InvariantCulture) : string.Empty;
        var delta = Delta.Op == FeedOp.None ? string.Empty : "|" + Delta.Format();
        return StoreKeys.CalendarRef(Calendar) + "|" + Version.ToString(CultureInfo.InvariantCulture) + word + time + delta;
    }
}

/// <summary>
/// The feed message of a bulk publish: the days one <c>publish_many</c> call opened on one channel with one template,
/// <c>*&lt;ref&gt;,&lt;ref&gt;,...|&lt;version&gt;|reset|t&lt;Redis TIME in ms&gt;|n&lt;template text, '|' written '/'&gt;</c>
/// (each <c>ref</c> as <see cref="StoreKeys.CalendarRef"/>): for each day what a <c>reset</c> message
/// (<see cref="FeedMessage"/>) of its own would say, in one message counted once in the channel's change counter.
/// Lua side: <c>publish_many.lua</c>. The template field is read by <see cref="FeedPublished.TemplateOf"/>.
/// </summary>
internal static class PublishedBatch
{
    /// <summary>The first character of such a message (no calendar reference starts with it).</summary>
    public const char Mark = '*';

    /// <summary>Reads a message (with its leading <see cref="Mark"/>): the days' references, comma-separated, the version and when.</summary>
    /// <returns>False for text that is not such a message.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out ReadOnlySpan<char> references, out long version, out long changedAtMs)
    {
        references = default;
        version = 0;
        changedAtMs = 0;
        if (text.IsEmpty || text[0] != Mark)
        {
            return false;
        }

        var bar = text.IndexOf('|');
        if (bar <= 1)
        {
            return false;
        }

        references = text[1..bar];
        var fields = text[(bar + 1)..];
        var reset = false;
        var first = true;
        while (!fields.IsEmpty)
        {
            var next = fields.IndexOf('|');
            var field = next < 0 ? fields : fields[..next];
            fields = next < 0 ? [] : fields[(next + 1)..];
            if (first)
            {
                first = false;
                if (!long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out version))
                {
                    return false;
                }
            }
            else if (field.SequenceEqual("reset"))
            {
                reset = true;
            }
            else if (field.Length > 1 && field[0] == 't' && long.TryParse(field[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
            {
                changedAtMs = ms;
            }
        }

        return reset && version > 0;
    }

    /// <summary>The next reference of <paramref name="references"/> (advanced past it); false when none is left.</summary>
    public static bool NextCalendar(ref ReadOnlySpan<char> references, out ReadOnlySpan<char> reference)
    {
        var comma = references.IndexOf(',');
        reference = comma < 0 ? references : references[..comma];
        references = comma < 0 ? [] : references[(comma + 1)..];
        return !reference.IsEmpty;
    }
}

/// <summary>
/// A keyed claim's idempotency record, under the calendar's hash tag: <c>&lt;request digest&gt;|&lt;seat&gt;|&lt;token&gt;|&lt;hold expiry ms or 0&gt;</c>.
/// Lua side: written by <c>claim.lua</c> on success, read back there (a retry answers <c>again</c>). The digest may
/// itself contain <c>|</c>, so the numbers are read from the end.
/// </summary>
/// <param name="Digest">What makes two claims the same request.</param>
/// <param name="Seat">The seat claimed.</param>
/// <param name="Token">Its fencing token.</param>
/// <param name="HoldExpiryMs">A hold's expiry (Unix ms, Redis clock); 0 for a booking.</param>
internal readonly record struct IdempotencyRecord(string Digest, int Seat, long Token, long HoldExpiryMs)
{
    /// <summary>Parses a record.</summary>
    /// <exception cref="FormatException">Not a record.</exception>
    public static IdempotencyRecord Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var expiryBar = text.LastIndexOf('|');
        var tokenBar = expiryBar > 0 ? text.LastIndexOf('|', expiryBar - 1) : -1;
        var seatBar = tokenBar > 0 ? text.LastIndexOf('|', tokenBar - 1) : -1;
        if (seatBar < 0)
        {
            throw new FormatException($"'{text}' is not an idempotency record (digest|seat|token|expiry).");
        }

        return new IdempotencyRecord(
            text[..seatBar],
            int.Parse(text.AsSpan(seatBar + 1, tokenBar - seatBar - 1), NumberStyles.None, CultureInfo.InvariantCulture),
            long.Parse(text.AsSpan(tokenBar + 1, expiryBar - tokenBar - 1), NumberStyles.None, CultureInfo.InvariantCulture),
            long.Parse(text.AsSpan(expiryBar + 1), NumberStyles.None, CultureInfo.InvariantCulture));
    }

    /// <summary>The record as <c>claim.lua</c> writes it.</summary>
    public string Format() => string.Create(CultureInfo.InvariantCulture, $"{Digest}|{Seat}|{Token}|{HoldExpiryMs}");
}

/// <summary>The format half of <see cref="StoredClaim"/>'s two texts (its parsers are beside the type).</summary>
internal readonly partial record struct StoredClaim
{
    /// <summary>
    /// The claims-hash value of every slot of the claim: <c>token|h or b|first|length|patient hex (16 digits)|hold expiry ms[|u]</c>;
    /// <c>|u</c> marks a booking awaiting approval (a hold expiring at its deadline; the scripts' own marker is <c>u&lt;token&gt;</c>
    /// in the nonces hash, this copy is for readers). Values written before the flag have no <c>|u</c> and read as not awaiting.
    /// Lua side: written by <c>claim.lua</c>, <c>confirm.lua</c> and <c>rebuild.lua</c>, read by <c>parse</c> in <c>lib.lua</c>.
    /// </summary>
    public string Format() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Token}|{(Booked ? 'b' : 'h')}|{First}|{Length}|{Patient.Value:x16}|{HoldExpiryMs}{(AwaitsApproval ? "|u" : string.Empty)}");

    /// <summary>
    /// A removed claim as the scripts describe it (block, withdraw, sweep): <c>seat|first|length|token|h or b|patient hex|expiry ms</c>.
    /// Lua side: <c>describe</c> in <c>lib.lua</c>. Parsed by <see cref="ParseRemoved"/>.
    /// </summary>
    public string FormatRemoved(int seat) => string.Create(
        CultureInfo.InvariantCulture,
        $"{seat}|{First}|{Length}|{Token}|{(Booked ? 'b' : 'h')}|{Patient.Value:x16}|{HoldExpiryMs}");
}
