using RESPite.Messages;
using StackExchange.Redis;

namespace SlotEngine.Redis.Client;

/// <summary>
/// Reads a script's reply in place from StackExchange.Redis's undecoded <see cref="RespResult"/>: the common flat shape
/// (a status word, then integers) without a single allocation, and any reply as a <see cref="RedisReply"/> tree (as
/// <see cref="StoreConnection.EvalShaAsync(StoreConnection.Link, RedisScript, RedisKey[], RedisValue[], CancellationToken)"/>
/// would have returned it) for the rare answers that need more.
/// </summary>
internal static class RawReply
{
    /// <summary>
    /// Reads <c>{word, integer, integer…}</c>: the word's status in <paramref name="words"/> and up to
    /// <paramref name="numbers"/>' length integers after it. Returns the count of integers read, or -1 when the reply has
    /// another shape (not an array, an empty one, a first element that is not a string, an element that is not an integer,
    /// more elements than fit): then read it as a tree (<see cref="ToReply"/>). Allocates nothing.
    /// </summary>
    public static int ReadFlat<TStatus>(RespResult raw, (byte[] Word, TStatus Status)[] words, TStatus unknown, Span<long> numbers, out TStatus status)
    {
        status = unknown;
        var reader = raw.Read();
        if (!reader.IsAggregate || reader.IsNull)
        {
            return -1;
        }

        var length = reader.AggregateLength();
        if (length == 0 || length - 1 > numbers.Length)
        {
            return -1;
        }

        reader.MoveNext();
        if (reader.Prefix is not (RespPrefix.BulkString or RespPrefix.SimpleString) || reader.IsNull)
        {
            return -1;
        }

        foreach (var (word, known) in words)
        {
            if (reader.Is(word))
            {
                status = known;
                break;
            }
        }

        for (var i = 0; i < length - 1; i++)
        {
            reader.MoveNext();
            if (reader.Prefix != RespPrefix.Integer || !reader.TryReadInt64(out numbers[i]))
            {
                status = unknown;
                return -1;
            }
        }

        return length - 1;
    }

    /// <summary>The reply as a tree of <see cref="RedisResult"/> (what <c>ScriptEvaluateAsync</c> returns for it).</summary>
    public static RedisReply ToReply(RespResult raw)
    {
        var reader = raw.Read();
        return new RedisReply(ToResult(ref reader));
    }

    private static RedisResult ToResult(ref RespReader reader)
    {
        if (reader.IsNull)
        {
            return RedisResult.Create(RedisValue.Null, reader.IsAggregate ? ResultType.Array : ResultType.BulkString);
        }

        if (reader.IsAggregate)
        {
            var items = new RedisResult[reader.AggregateLength()];
            for (var i = 0; i < items.Length; i++)
            {
                reader.MoveNext(); // depth first: an element that is an array is followed by its own elements
                items[i] = ToResult(ref reader);
            }

            return RedisResult.Create(items, ResultType.Array);
        }

        return reader.Prefix switch
        {
            RespPrefix.Integer => RedisResult.Create(reader.ReadInt64(), ResultType.Integer),
            RespPrefix.SimpleString => RedisResult.Create(reader.ReadByteArray(), ResultType.SimpleString),
            RespPrefix.SimpleError or RespPrefix.BulkError => RedisResult.Create(reader.ReadByteArray(), ResultType.Error),
            _ => RedisResult.Create(reader.ReadByteArray(), ResultType.BulkString),
        };
    }
}
