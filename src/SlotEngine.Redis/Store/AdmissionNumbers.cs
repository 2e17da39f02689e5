using System.Buffers.Binary;

namespace SlotEngine.Redis;

/// <summary>
/// An admission's numbers as the scripts read them: one binary string (<c>admission_numbers</c> in <c>lib.lua</c>, by
/// <c>struct.unpack</c>) instead of a dozen text arguments, each of which cost the server a Lua string and a conversion.
/// Little-endian: the lease ms, the clock-skew grace ms, the active cap, the call limit, the call count's retention ms,
/// the admission rate's interval and burst in microseconds (64-bit each), then the quota rule count and each rule's limit
/// (32-bit each). They depend only on the options and on which rules a claim meets, so one instance is made per shape
/// and kept (<see cref="Cache"/>): a claim sends a cached array, nothing is made per call.
/// </summary>
/// <param name="Cap">The active cap packed (0 = none).</param>
/// <param name="CallLimit">The call limit packed (0 = none).</param>
/// <param name="CallRetentionMs">The call count's retention packed.</param>
/// <param name="RateInterval">The admission rate's interval packed (0 = none).</param>
/// <param name="RateBurst">The admission rate's burst packed.</param>
/// <param name="Quotas">The quota rules whose limits are packed (compared by reference).</param>
/// <param name="WithRate">The numbers with the rate as given.</param>
/// <param name="NoRate">The same numbers with the rate's interval 0 (a later round of a claim: its attempt counted).</param>
internal sealed record AdmissionNumbers(int Cap, int CallLimit, long CallRetentionMs, long RateInterval, long RateBurst, IReadOnlyList<QuotaRule> Quotas, byte[] WithRate, byte[] NoRate)
{
    /// <summary>The 64-bit numbers before the rule count.</summary>
    private const int Longs = 7;

    /// <summary>
    /// Kept numbers, one per combination of (call limit judged, rate judged): the claim's shape hits the same slot on every
    /// call. A slot is replaced when the numbers differ (a move's admission, a rebuild's); a race between two writers
    /// only makes one of them make the array again. Immutable records: a reader sees a whole one or the other.
    /// </summary>
    public sealed class Cache
    {
        private readonly AdmissionNumbers?[] _slots = new AdmissionNumbers?[4];

        /// <summary>The numbers for this shape, cached when they were made already.</summary>
        public AdmissionNumbers For(long leaseMs, long graceMs, int cap, int callLimit, long callRetentionMs, long rateInterval, long rateBurst, IReadOnlyList<QuotaRule> quotas)
        {
            var slot = (callLimit != 0 ? 2 : 0) + (rateInterval != 0 ? 1 : 0);
            var kept = _slots[slot];
            if (kept is not null && kept.Cap == cap && kept.CallLimit == callLimit && kept.CallRetentionMs == callRetentionMs
                && kept.RateInterval == rateInterval && kept.RateBurst == rateBurst && ReferenceEquals(kept.Quotas, quotas)
                && BinaryPrimitives.ReadInt64LittleEndian(kept.WithRate) == leaseMs
                && BinaryPrimitives.ReadInt64LittleEndian(kept.WithRate.AsSpan(8)) == graceMs)
            {
                return kept;
            }

            var made = new AdmissionNumbers(
                cap,
                callLimit,
                callRetentionMs,
                rateInterval,
                rateBurst,
                quotas,
                Pack(leaseMs, graceMs, cap, callLimit, callRetentionMs, rateInterval, rateBurst, quotas),
                Pack(leaseMs, graceMs, cap, callLimit, callRetentionMs, 0, rateBurst, quotas));
            _slots[slot] = made;
            return made;
        }
    }

    private static byte[] Pack(long leaseMs, long graceMs, int cap, int callLimit, long callRetentionMs, long rateInterval, long rateBurst, IReadOnlyList<QuotaRule> quotas)
    {
        var bytes = new byte[(Longs * 8) + (4 * (1 + quotas.Count))];
        var span = bytes.AsSpan();
        ReadOnlySpan<long> longs = [leaseMs, graceMs, cap, callLimit, callRetentionMs, rateInterval, rateBurst];
        for (var i = 0; i < longs.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[(8 * i)..], longs[i]);
        }

        var at = Longs * 8;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], quotas.Count);
        for (var i = 0; i < quotas.Count; i++)
        {
            at += 4;
            BinaryPrimitives.WriteInt32LittleEndian(span[at..], quotas[i].MaxPerDay);
        }

        return bytes;
    }
}
