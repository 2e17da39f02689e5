using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Counts the claims of each call-centre call (<see cref="ClaimRequest.CallId"/>) against
/// <see cref="ActorPolicy.MaxClaimsPerCall"/>, as the quota ledger counts a patient's.
/// </summary>
/// <remarks>
/// <para>Protocol of <see cref="Entry.Used"/> (one per call, created at the call's first claim and
/// replaced once it is older than the retention): a claim takes a place by CAS from <c>u</c> to
/// <c>u + 1</c> only while <c>u &lt; limit</c>, before it touches any calendar; a claim that then fails
/// gives the place back by decrementing the same entry. So <c>Used</c> = successful claims of the call +
/// claims in flight, and it never exceeds the limit: two threads cannot both take the last place (the
/// second CAS sees the first one's increment). A claim in flight counts, so a racing claim may be
/// refused although the first then fails: a conservative answer, never an excess (as with quotas).</para>
/// <para>An expired entry is replaced by a fresh one with a compare-and-swap on the dictionary entry;
/// a claim holding a place on the old entry gives it back there, which no longer matters. Old entries
/// are pruned every <see cref="PruneEvery"/> new calls.</para>
/// </remarks>
internal sealed class CallLedger
{
    private const int PruneEvery = 4096;
    private readonly ConcurrentDictionary<string, Entry> _calls = new(StringComparer.Ordinal);
    private int _added;

    /// <summary>Takes one place of <paramref name="callId"/>'s limit, or returns null when the call has used them all.</summary>
    public Entry? TryTake(string callId, int limit, long nowTicks, long retentionTicks)
    {
        while (true)
        {
            var entry = _calls.GetOrAdd(callId, static (_, expires) => new Entry(expires), nowTicks + retentionTicks);
            if (entry.ExpiresTicks <= nowTicks)
            {
                _calls.TryUpdate(callId, new Entry(nowTicks + retentionTicks), entry);
                continue;
            }

            // A counter only: atomic +1 gives each caller a distinct count, so one caller per PruneEvery
            // increments prunes; readers need no consistent view of it.
            if (entry.Used == 0 && Interlocked.Increment(ref _added) % PruneEvery == 0)
            {
                Prune(nowTicks);
            }

            var used = Volatile.Read(ref entry.Used);
            while (used < limit)
            {
                // The CAS that takes a place: it succeeds only if nobody took or gave one since we read `used`,
                // so Used never passes the limit.
                var seen = Interlocked.CompareExchange(ref entry.Used, used + 1, used);
                if (seen == used)
                {
                    return entry;
                }

                used = seen;
            }

            return null;
        }
    }

    /// <summary>Gives back a place taken by a claim that did not happen.</summary>
    // Atomic −1 of a place this caller took by the CAS in TryTake, so Used stays ≥ 0; a reader may see the
    // place still taken until this runs (it then refuses a claim it could have had, never admits one too many).
    public static void GiveBack(Entry entry) => Interlocked.Decrement(ref entry.Used);

    /// <summary>How many places a live call has used (tests, diagnostics).</summary>
    public int UsedBy(string callId, long nowTicks) =>
        _calls.TryGetValue(callId, out var entry) && entry.ExpiresTicks > nowTicks ? Volatile.Read(ref entry.Used) : 0;

    private void Prune(long nowTicks)
    {
        foreach (var pair in _calls)
        {
            if (pair.Value.ExpiresTicks <= nowTicks)
            {
                _calls.TryRemove(pair);
            }
        }
    }

    /// <summary>One call's count.</summary>
    internal sealed class Entry(long expiresTicks)
    {
        /// <summary>Successful claims plus claims in flight; changed only by CAS / Interlocked.</summary>
        public int Used;

        public long ExpiresTicks { get; } = expiresTicks;
    }
}
