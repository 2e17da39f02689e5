using StackExchange.Redis;

namespace SlotEngine.Redis.Client;

/// <summary>
/// A script's or command's reply as the store reads it: a view over StackExchange.Redis's
/// <see cref="RedisResult"/> (one reference, no copy), with the few readings the store needs.
/// </summary>
internal readonly struct RedisReply
{
    private readonly RedisResult? _result;

    public RedisReply(RedisResult? result) => _result = result;

    /// <summary>True for a null reply (and for a reply that never came).</summary>
    public bool IsNull => _result is null || _result.IsNull;

    /// <summary>The element count of an array reply, 0 otherwise.</summary>
    public int Count => _result is { Resp2Type: ResultType.Array } array && !array.IsNull ? array.Length : 0;

    /// <summary>Element <paramref name="index"/> of an array reply.</summary>
    public RedisReply this[int index] => new(_result![index]);

    /// <summary>The bytes of a string reply (empty for a null one).</summary>
    public ReadOnlyMemory<byte> Bytes => IsNull ? ReadOnlyMemory<byte>.Empty : (byte[]?)_result! ?? ReadOnlyMemory<byte>.Empty;

    /// <summary>The integer value; bulk and simple strings holding a number are parsed too.</summary>
    public long AsInt64() => (long)_result!;

    /// <summary>
    /// Copies a short string reply's bytes (a script's status word) into <paramref name="destination"/> without making a
    /// string; -1 when it is not a string reply or does not fit.
    /// </summary>
    public int CopyWord(Span<byte> destination)
    {
        if (_result is null || _result.IsNull || _result.Resp2Type is not (ResultType.BulkString or ResultType.SimpleString))
        {
            return -1;
        }

        var value = (RedisValue)_result;
        return value.GetByteCount() <= destination.Length ? value.CopyTo(destination) : -1;
    }

    /// <summary>The text of a string reply, the digits of an integer, or null for a null reply.</summary>
    public string? AsString() => IsNull ? null : (string?)_result;

    public override string ToString() => _result?.ToString() ?? "(nil)";
}
