using System.Globalization;
using StackExchange.Redis;

namespace SlotEngine.Redis.Client;

/// <summary>
/// Small byte buffers for script arguments that would otherwise be a string made per call: a patient's 16 hex digits
/// (<see cref="RentHex"/>) in a confirm, a release or a cancel. The argument is a slice of a pooled buffer; the call gives
/// the buffer back once it has completed (<see cref="StoreConnection.EvalRawAsync"/>'s <c>giveBackBytes</c>), never after a
/// failure (the client may still hold the command and write it later), so no buffer is reused while the client can read it.
/// Thread-safe. The calls use <see cref="Shared"/>; a test makes its own.
/// </summary>
internal sealed class ArgumentBytes
{
    /// <summary>The buffers the store's calls use.</summary>
    public static readonly ArgumentBytes Shared = new();

    /// <summary>The length of a patient's hex (<c>x16</c>, as the scripts store it).</summary>
    public const int HexLength = 16;

    /// <summary>Buffers given back, about as many as calls in flight on a node.</summary>
    private readonly BoundedPool<byte[]> _pool = new(1024);

    /// <summary>
    /// <paramref name="value"/> as 16 lower-case hex digits (as <c>value.ToString("x16")</c>) in a rented buffer: the argument, and
    /// in <paramref name="buffer"/> the buffer to give back with the call.
    /// </summary>
    public RedisValue RentHex(ulong value, out byte[] buffer)
    {
        if (!_pool.TryRent(out buffer!))
        {
            buffer = new byte[HexLength];
        }

        value.TryFormat(buffer, out _, "x16", CultureInfo.InvariantCulture);
        return buffer;
    }

    /// <summary>Keeps <paramref name="buffer"/> for reuse (only once nobody can still read it).</summary>
    public void Return(byte[] buffer)
    {
        if (buffer.Length == HexLength)
        {
            _pool.Return(buffer);
        }
    }
}
