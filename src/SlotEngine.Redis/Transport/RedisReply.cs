using System.Globalization;
using System.Text;

namespace SlotEngine.Redis.Transport;

/// <summary>The five RESP2 reply types, plus the null bulk string / null array.</summary>
internal enum RespKind : byte
{
    /// <summary><c>+text</c></summary>
    SimpleString,

    /// <summary><c>-text</c></summary>
    Error,

    /// <summary><c>:number</c></summary>
    Integer,

    /// <summary><c>$length</c> then bytes.</summary>
    BulkString,

    /// <summary><c>*count</c> then elements.</summary>
    Array,

    /// <summary><c>$-1</c> or <c>*-1</c>.</summary>
    Null,
}

/// <summary>
/// One materialized reply. Strings are copied out of the network buffer (a reply outlives it);
/// the common status replies (<c>OK</c>, <c>PONG</c>, <c>QUEUED</c>) share one cached array each
/// and integers carry no payload, so they allocate nothing.
/// </summary>
internal readonly struct RedisReply
{
    /// <summary>byte[] for strings and errors, RedisReply[] for arrays, null otherwise.</summary>
    private readonly object? _payload;
    private readonly long _integer;

    private RedisReply(RespKind kind, object? payload, long integer)
    {
        Kind = kind;
        _payload = payload;
        _integer = integer;
    }

    public RespKind Kind { get; }

    public static RedisReply Null => new(RespKind.Null, null, 0);

    public bool IsNull => Kind == RespKind.Null;

    public bool IsError => Kind == RespKind.Error;

    /// <summary>True for the status reply <c>+OK</c>.</summary>
    public bool IsOk => Kind == RespKind.SimpleString && ((byte[])_payload!).AsSpan().SequenceEqual("OK"u8);

    public static RedisReply SimpleString(byte[] text) => new(RespKind.SimpleString, text, 0);

    public static RedisReply Error(byte[] text) => new(RespKind.Error, text, 0);

    public static RedisReply Integer(long value) => new(RespKind.Integer, null, value);

    public static RedisReply Bulk(byte[] bytes) => new(RespKind.BulkString, bytes, 0);

    public static RedisReply Array(RedisReply[] elements) => new(RespKind.Array, elements, 0);

    /// <summary>The bytes of a simple string, error or bulk string.</summary>
    public ReadOnlyMemory<byte> Bytes => _payload as byte[] ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>The elements of an array reply (empty for any other kind).</summary>
    public ReadOnlySpan<RedisReply> Elements => _payload as RedisReply[] ?? [];

    /// <summary>The element count of an array reply, 0 otherwise.</summary>
    public int Count => (_payload as RedisReply[])?.Length ?? 0;

    public RedisReply this[int index] => ((RedisReply[])_payload!)[index];

    /// <summary>The error text (for example <c>MOVED 3999 127.0.0.1:6381</c>), or null when this is no error.</summary>
    public string? ErrorMessage => Kind == RespKind.Error ? Encoding.UTF8.GetString((byte[])_payload!) : null;

    /// <summary>True when this is an error whose first word is <paramref name="prefix"/> (e.g. <c>NOSCRIPT</c>).</summary>
    public bool IsErrorWithPrefix(ReadOnlySpan<byte> prefix)
    {
        if (Kind != RespKind.Error)
        {
            return false;
        }

        var text = ((byte[])_payload!).AsSpan();
        return text.StartsWith(prefix) && (text.Length == prefix.Length || text[prefix.Length] == (byte)' ');
    }

    /// <summary>The integer value; bulk and simple strings holding a number are parsed too.</summary>
    public long AsInt64() => Kind switch
    {
        RespKind.Integer => _integer,
        RespKind.BulkString or RespKind.SimpleString
            when long.TryParse(((byte[])_payload!).AsSpan(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new InvalidCastException($"The {Kind} reply '{this}' is not an integer."),
    };

    /// <summary>The text of a string reply (UTF-8), the digits of an integer, or null for a null reply.</summary>
    public string? AsString() => Kind switch
    {
        RespKind.Null => null,
        RespKind.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        RespKind.Array => throw new InvalidCastException("An array reply is not a string."),
        _ => Encoding.UTF8.GetString((byte[])_payload!),
    };

    /// <summary>Throws <see cref="RedisServerException"/> when this is an error reply; returns this reply otherwise.</summary>
    public RedisReply ThrowIfError() => Kind == RespKind.Error ? throw new RedisServerException(ErrorMessage!) : this;

    public override string ToString() => Kind switch
    {
        RespKind.Null => "(nil)",
        RespKind.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        RespKind.Array => $"[{string.Join(", ", ((RedisReply[])_payload!).Select(e => e.ToString()))}]",
        RespKind.Error => "-" + ErrorMessage,
        _ => AsString()!,
    };
}
