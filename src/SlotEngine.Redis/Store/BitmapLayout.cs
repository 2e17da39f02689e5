using System.Buffers.Binary;

namespace SlotEngine.Redis;

/// <summary>
/// The free bitmap's byte layout, shared by Redis and the in-memory calendar: seat after seat,
/// <c>ceil(slots / 64)</c> 64-bit words per seat, each word little-endian; bit <c>s % 64</c> of word
/// <c>s / 64</c> is slot <c>s</c>. So slot <c>s</c> of seat <c>l</c> is bit <c>s % 8</c> (from the least
/// significant) of byte <c>l·wpl·8 + s / 8</c>. Redis numbers bits from the most significant bit of each
/// byte, so its <c>GETBIT</c>/<c>SETBIT</c> offset for that slot is <c>l·wpl·64 + (s − s%8) + (7 − s%8)</c>,
/// i.e. <c>l·wpl·64 + (s XOR 7)</c>. A calendar loads with one <c>GET</c> and one
/// <see cref="BinaryPrimitives.ReadUInt64LittleEndian(ReadOnlySpan{byte})"/> per word.
/// </summary>
internal static class BitmapLayout
{
    public static int WordsPerSeat(int slots) => (slots + 63) >> 6;

    /// <summary>The Redis bit offset (<c>SETBIT</c>/<c>GETBIT</c>) of a seat's slot.</summary>
    public static long RedisBitOffset(int wordsPerSeat, int seat, int slot) => ((long)seat * wordsPerSeat * 64) + (slot ^ 7);

    /// <summary>The bitmap of a freshly opened day: every offered slot free on every seat.</summary>
    public static byte[] Initial(DayLayout layout)
    {
        var slots = layout.SlotCount;
        var capacity = layout.Template.Capacity;
        var wordsPerSeat = WordsPerSeat(slots);
        var bytes = new byte[wordsPerSeat * 8 * capacity];
        for (var seat = 0; seat < capacity; seat++)
        {
            for (var w = 0; w < wordsPerSeat; w++)
            {
                ulong word = 0;
                for (var bit = 0; bit < 64; bit++)
                {
                    var slot = (w * 64) + bit;
                    if (slot < slots && layout.IsOffered(slot))
                    {
                        word |= 1UL << bit;
                    }
                }

                BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(((seat * wordsPerSeat) + w) * 8, 8), word);
            }
        }

        return bytes;
    }
}
