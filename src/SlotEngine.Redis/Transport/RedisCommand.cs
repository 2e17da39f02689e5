using System.Buffers;
using System.Diagnostics;
using System.Text;

namespace SlotEngine.Redis.Transport;

/// <summary>
/// One command, already encoded as a RESP array of bulk strings in a buffer rented from
/// <see cref="ArrayPool{T}.Shared"/>. Encoding once lets a cluster redirect resend the same bytes
/// to another node without the caller's arguments, and costs no allocation.
/// </summary>
/// <remarks>
/// The owner must call <see cref="Dispose"/> exactly once, after the last send has completed.
/// A copy of the struct shares the buffer; only one copy may dispose it.
/// </remarks>
internal readonly struct RedisCommand : IDisposable
{
    private readonly byte[] _buffer;

    private RedisCommand(string name, byte[] buffer, int length, int tailOffset)
    {
        Name = name;
        _buffer = buffer;
        Length = length;
        TailOffset = tailOffset;
    }

    /// <summary>The command's name, for error messages.</summary>
    public string Name { get; }

    public int Length { get; }

    /// <summary>Where the arguments after the first <c>leadingArguments</c> start (see <see cref="Create(string, ReadOnlySpan{RedisArgument}, int)"/>).</summary>
    public int TailOffset { get; }

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    public bool IsDefault => _buffer is null;

    /// <summary>Encodes <c>name args…</c>.</summary>
    public static RedisCommand Create(string name, params ReadOnlySpan<RedisArgument> args) => Create(name, args, 0);

    /// <summary>
    /// Encodes <c>name args…</c> and records in <see cref="TailOffset"/> where the arguments after the first
    /// <paramref name="leadingArguments"/> start, so that <see cref="WithNewHead"/> can swap the head
    /// (EVALSHA sha → EVAL script) without the arguments.
    /// </summary>
    public static RedisCommand Create(string name, ReadOnlySpan<RedisArgument> args, int leadingArguments) =>
        Create(name, args, [], [], leadingArguments);

    /// <summary>Encodes <c>name first… second… third…</c>; <paramref name="leadingArguments"/> as above, counted over all three.</summary>
    public static RedisCommand Create(
        string name,
        ReadOnlySpan<RedisArgument> first,
        ReadOnlySpan<RedisArgument> second,
        ReadOnlySpan<RedisArgument> third,
        int leadingArguments)
    {
        Debug.Assert(Encoding.UTF8.GetByteCount(name) == name.Length, "Command names are ASCII.");
        var count = first.Length + second.Length + third.Length;
        var size = ArrayHeaderSize(count + 1) + BulkSize(name.Length) + BulkSizes(first) + BulkSizes(second) + BulkSizes(third);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var span = buffer.AsSpan();
        var at = WriteHeader(span, (byte)'*', count + 1);
        at += WriteHeader(span[at..], (byte)'$', name.Length);
        at += Encoding.ASCII.GetBytes(name, span[at..]);
        at += WriteCrlf(span[at..]);
        var tail = -1;
        var index = 0;
        WriteAll(span, first, ref at, ref index, leadingArguments, ref tail);
        WriteAll(span, second, ref at, ref index, leadingArguments, ref tail);
        WriteAll(span, third, ref at, ref index, leadingArguments, ref tail);
        Debug.Assert(at == size, "The size computed must match the bytes written.");
        return new RedisCommand(name, buffer, at, tail < 0 ? at : tail);
    }

    private static int BulkSizes(ReadOnlySpan<RedisArgument> args)
    {
        var size = 0;
        foreach (ref readonly var arg in args)
        {
            size += BulkSize(arg.ByteCount);
        }

        return size;
    }

    private static void WriteAll(Span<byte> span, ReadOnlySpan<RedisArgument> args, ref int at, ref int index, int leadingArguments, ref int tail)
    {
        foreach (ref readonly var arg in args)
        {
            if (index++ == leadingArguments)
            {
                tail = at;
            }

            at += WriteBulk(span[at..], arg);
        }
    }

    /// <summary>
    /// A new command <c>name head… tail</c>, where tail is this command's arguments from <see cref="TailOffset"/>
    /// on; <paramref name="tailCount"/> says how many arguments the tail holds.
    /// </summary>
    public RedisCommand WithNewHead(string name, ReadOnlySpan<RedisArgument> head, int tailCount)
    {
        var tailBytes = _buffer.AsSpan(TailOffset, Length - TailOffset);
        var size = ArrayHeaderSize(1 + head.Length + tailCount) + BulkSize(name.Length) + tailBytes.Length;
        foreach (ref readonly var arg in head)
        {
            size += BulkSize(arg.ByteCount);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        var span = buffer.AsSpan();
        var at = WriteHeader(span, (byte)'*', 1 + head.Length + tailCount);
        at += WriteHeader(span[at..], (byte)'$', name.Length);
        at += Encoding.ASCII.GetBytes(name, span[at..]);
        at += WriteCrlf(span[at..]);
        foreach (ref readonly var arg in head)
        {
            at += WriteBulk(span[at..], arg);
        }

        var tail = at;
        tailBytes.CopyTo(span[at..]);
        at += tailBytes.Length;
        Debug.Assert(at == size, "The size computed must match the bytes written.");
        return new RedisCommand(name, buffer, at, tail);
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }
    }

    private static int ArrayHeaderSize(int count) => 1 + RedisArgument.DigitCount(count) + 2;

    private static int BulkSize(int length) => 1 + RedisArgument.DigitCount(length) + 2 + length + 2;

    private static int WriteBulk(Span<byte> span, in RedisArgument arg)
    {
        var length = arg.ByteCount;
        var at = WriteHeader(span, (byte)'$', length);
        var written = arg.WriteTo(span[at..]);
        Debug.Assert(written == length, "ByteCount must match WriteTo.");
        at += written;
        return at + WriteCrlf(span[at..]);
    }

    private static int WriteHeader(Span<byte> span, byte prefix, int number)
    {
        span[0] = prefix;
        number.TryFormat(span[1..], out var digits, default, System.Globalization.CultureInfo.InvariantCulture);
        return 1 + digits + WriteCrlf(span[(1 + digits)..]);
    }

    private static int WriteCrlf(Span<byte> span)
    {
        span[0] = (byte)'\r';
        span[1] = (byte)'\n';
        return 2;
    }
}
