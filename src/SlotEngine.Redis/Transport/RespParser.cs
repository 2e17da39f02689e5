using System.Buffers;
using System.Diagnostics;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// An incremental RESP2 reader over a <see cref="ReadOnlySequence{T}"/>.
/// </summary>
/// <remarks>
/// <para>
/// <c>TryRead</c> makes two passes over a frame. The first walks it without copying or
/// allocating anything and stops with "incomplete" as soon as the buffer ends inside the frame, so a
/// reply that arrives in many TCP segments costs no allocation until it is whole. Only then does the
/// second pass copy the frame's strings out. The two passes are one routine with a flag, so they
/// cannot disagree about framing.
/// </para>
/// <para>
/// Every malformed input ends in <see cref="RedisProtocolException"/>, never another exception and
/// never a loop: each element consumes at least three bytes, nesting is capped at
/// <see cref="MaxDepth"/>, header lines at <see cref="MaxHeaderLength"/> bytes, and lengths at
/// <see cref="MaxBulkLength"/>.
/// </para>
/// </remarks>
internal static class RespParser
{
    /// <summary>Nested arrays deeper than this are rejected (Redis itself never nests deeply).</summary>
    public const int MaxDepth = 64;

    /// <summary>The longest bulk string accepted: Redis's own proto-max-bulk-len default.</summary>
    public const int MaxBulkLength = 512 * 1024 * 1024;

    /// <summary>The longest simple-string or error line accepted.</summary>
    public const int MaxLineLength = 1024 * 1024;

    /// <summary>The longest integer / length header line accepted ("-9223372036854775808").</summary>
    public const int MaxHeaderLength = 20;

    private static readonly byte[] Ok = "OK"u8.ToArray();
    private static readonly byte[] Pong = "PONG"u8.ToArray();
    private static readonly byte[] Queued = "QUEUED"u8.ToArray();

    /// <summary>
    /// Reads one whole reply from <paramref name="reader"/>. Returns false, and leaves the reader where it
    /// was, when the buffer ends before the reply does.
    /// </summary>
    /// <exception cref="RedisProtocolException">The bytes are not valid RESP2.</exception>
    public static bool TryRead(ref SequenceReader<byte> reader, out RedisReply reply)
    {
        var probe = reader;
        if (!TryParse(ref probe, depth: 0, materialize: false, out _))
        {
            reply = default;
            return false;
        }

        var complete = TryParse(ref reader, depth: 0, materialize: true, out reply);
        Debug.Assert(complete, "The materializing pass must succeed where the probing pass did.");
        return complete;
    }

    /// <summary>Reads one whole reply from the start of <paramref name="buffer"/>; <paramref name="consumed"/> is where it ended.</summary>
    public static bool TryRead(ReadOnlySequence<byte> buffer, out RedisReply reply, out SequencePosition consumed)
    {
        var reader = new SequenceReader<byte>(buffer);
        var done = TryRead(ref reader, out reply);
        consumed = done ? reader.Position : buffer.Start;
        return done;
    }

    private static bool TryParse(ref SequenceReader<byte> reader, int depth, bool materialize, out RedisReply reply)
    {
        reply = default;
        if (!reader.TryRead(out var prefix))
        {
            return false;
        }

        switch (prefix)
        {
            case (byte)'+':
            case (byte)'-':
                {
                    if (!TryReadLine(ref reader, MaxLineLength, out var line))
                    {
                        return false;
                    }

                    if (materialize)
                    {
                        reply = prefix == (byte)'+' ? RedisReply.SimpleString(Intern(line)) : RedisReply.Error(line.ToArray());
                    }

                    return true;
                }

            case (byte)':':
                {
                    if (!TryReadInteger(ref reader, out var value))
                    {
                        return false;
                    }

                    reply = RedisReply.Integer(value);
                    return true;
                }

            case (byte)'$':
                return TryParseBulk(ref reader, materialize, out reply);

            case (byte)'*':
                return TryParseArray(ref reader, depth, materialize, out reply);

            default:
                throw Malformed($"unknown reply type byte 0x{prefix:X2}");
        }
    }

    private static bool TryParseBulk(ref SequenceReader<byte> reader, bool materialize, out RedisReply reply)
    {
        reply = default;
        if (!TryReadInteger(ref reader, out var length))
        {
            return false;
        }

        if (length == -1)
        {
            reply = RedisReply.Null;
            return true;
        }

        if (length is < 0 or > MaxBulkLength)
        {
            throw Malformed($"bulk string length {length} is out of range");
        }

        if (reader.Remaining < length + 2)
        {
            return false;
        }

        byte[]? bytes = null;
        if (materialize)
        {
            bytes = new byte[length];
            reader.TryCopyTo(bytes);
        }

        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            throw Malformed($"bulk string of {length} bytes is not followed by CRLF");
        }

        if (materialize)
        {
            reply = RedisReply.Bulk(bytes!);
        }

        return true;
    }

    private static bool TryParseArray(ref SequenceReader<byte> reader, int depth, bool materialize, out RedisReply reply)
    {
        reply = default;
        if (depth >= MaxDepth)
        {
            throw Malformed($"arrays are nested more than {MaxDepth} deep");
        }

        if (!TryReadInteger(ref reader, out var count))
        {
            return false;
        }

        if (count == -1)
        {
            reply = RedisReply.Null;
            return true;
        }

        if (count < 0 || count > int.MaxValue)
        {
            throw Malformed($"array length {count} is out of range");
        }

        // Each element takes at least 3 bytes ("+\r\n"), so a count the buffer cannot hold is simply incomplete;
        // checking first keeps a hostile "*2000000000" from allocating before its elements arrive.
        if (reader.Remaining < count * 3)
        {
            return false;
        }

        var elements = materialize ? (count == 0 ? [] : new RedisReply[count]) : null;
        for (var i = 0; i < count; i++)
        {
            if (!TryParse(ref reader, depth + 1, materialize, out var element))
            {
                return false;
            }

            if (elements is not null)
            {
                elements[i] = element;
            }
        }

        if (elements is not null)
        {
            reply = RedisReply.Array(elements);
        }

        return true;
    }

    /// <summary>Reads up to CRLF; a lone CR or LF inside the line is a protocol error.</summary>
    private static bool TryReadLine(ref SequenceReader<byte> reader, int maxLength, out ReadOnlySequence<byte> line)
    {
        var start = reader;
        if (!reader.TryReadTo(out line, (byte)'\r', advancePastDelimiter: true))
        {
            line = default;
            if (reader.Remaining > maxLength)
            {
                throw Malformed($"a line is longer than {maxLength} bytes");
            }

            return false;
        }

        if (line.Length > maxLength)
        {
            throw Malformed($"a line is longer than {maxLength} bytes");
        }

        if (!reader.TryRead(out var lf))
        {
            reader = start;
            return false;
        }

        if (lf != (byte)'\n')
        {
            throw Malformed("CR not followed by LF");
        }

        if (line.PositionOf((byte)'\n') is not null)
        {
            throw Malformed("LF inside a line");
        }

        return true;
    }

    private static bool TryReadInteger(ref SequenceReader<byte> reader, out long value)
    {
        value = 0;
        var start = reader;
        if (!TryReadLine(ref reader, MaxHeaderLength, out var line))
        {
            reader = start;
            return false;
        }

        Span<byte> digits = stackalloc byte[MaxHeaderLength];
        var length = (int)line.Length;
        line.CopyTo(digits);
        digits = digits[..length];
        var negative = length > 0 && digits[0] == (byte)'-';
        var body = negative ? digits[1..] : digits;
        if (body.IsEmpty)
        {
            throw Malformed("an integer line has no digits");
        }

        ulong magnitude = 0;
        foreach (var b in body)
        {
            var digit = unchecked((uint)(b - '0'));
            if (digit > 9)
            {
                throw Malformed($"'{(char)b}' in an integer line");
            }

            if (magnitude > (ulong.MaxValue - digit) / 10)
            {
                throw Malformed("an integer does not fit in 64 bits");
            }

            magnitude = (magnitude * 10) + digit;
        }

        if (negative ? magnitude > (ulong)long.MaxValue + 1 : magnitude > long.MaxValue)
        {
            throw Malformed("an integer does not fit in 64 bits");
        }

        value = negative ? unchecked((long)(0 - magnitude)) : (long)magnitude;
        return true;
    }

    private static byte[] Intern(ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            var span = line.FirstSpan;
            if (span.SequenceEqual(Ok))
            {
                return Ok;
            }

            if (span.SequenceEqual(Pong))
            {
                return Pong;
            }

            if (span.SequenceEqual(Queued))
            {
                return Queued;
            }
        }

        return line.ToArray();
    }

    private static RedisProtocolException Malformed(string what) => new($"Malformed RESP reply: {what}.");
}
