using System.Globalization;
using System.Text;

namespace SlotEngine.Redis;

/// <summary>
/// The change feed's channels in a cluster: one shard channel per hash slot, <c>&lt;prefix&gt;{s:&lt;n&gt;}:feed</c>, where
/// <c>s:&lt;n&gt;</c> is the first such tag (n = 0, 1, 2, …) that hashes to that slot. A calendar's scripts publish on its
/// slot's channel (same slot, so a script never reaches beyond its calendar's slot) and count what they publish in
/// <c>&lt;channel&gt;:changes</c> (<c>count_changes</c> in <c>lib.lua</c>), so a node follows at most 16,384 channels however
/// many calendars it holds, reads each one in order, and checks a slot's channel against its counter as a standalone node
/// checks its one channel (<c>checkpoint.lua</c>).
/// </summary>
internal static class SlotChannels
{
    /// <summary>Redis Cluster's hash slots.</summary>
    public const int Slots = 16384;

    private static readonly Lazy<string[]> Tags = new(MakeTags);

    /// <summary>The hash tag (without braces) that puts a key on <paramref name="slot"/>.</summary>
    public static string TagOf(int slot) => Tags.Value[slot];

    /// <summary>The hash slot of a key, as Redis Cluster computes it (CRC16 of the hash tag when there is one, modulo 16,384).</summary>
    public static int SlotOf(string key)
    {
        var text = key.AsSpan();
        var open = text.IndexOf('{');
        if (open >= 0)
        {
            var close = text[(open + 1)..].IndexOf('}');
            if (close > 0)
            {
                text = text.Slice(open + 1, close);
            }
        }

        Span<byte> bytes = stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        var length = Encoding.UTF8.GetBytes(text, bytes);
        return Crc16(bytes[..length]) & (Slots - 1);
    }

    /// <summary>
    /// <see cref="SlotOf(string)"/> of a key already in UTF-8 (a calendar's tag: no string made for it). The braces are ASCII,
    /// so the hash tag found in the bytes is the one found in the text.
    /// </summary>
    public static int SlotOf(ReadOnlySpan<byte> key)
    {
        var open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            var close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0)
            {
                key = key.Slice(open + 1, close);
            }
        }

        return Crc16(key) & (Slots - 1);
    }

    /// <summary>CRC16-CCITT (XMODEM), Redis Cluster's key hash.</summary>
    private static int Crc16(ReadOnlySpan<byte> bytes)
    {
        var crc = 0;
        foreach (var b in bytes)
        {
            crc ^= b << 8;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }

            crc &= 0xFFFF;
        }

        return crc;
    }

    private static string[] MakeTags()
    {
        var tags = new string[Slots];
        var missing = Slots;
        for (var n = 0; missing > 0; n++)
        {
            var tag = "s:" + n.ToString(CultureInfo.InvariantCulture);
            var slot = SlotOf("{" + tag + "}");
            if (tags[slot] is null)
            {
                tags[slot] = tag;
                missing--;
            }
        }

        return tags;
    }
}
