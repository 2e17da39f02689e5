using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Remembers the reservation each idempotency key produced. A retry with the same key and the
/// same request gets the first reservation back; with another request it is an error. Only
/// successful claims are remembered: a failed first attempt leaves the key free to try again.
/// </summary>
internal sealed class IdempotencyLedger
{
    private readonly ConcurrentDictionary<string, Record> _records = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts a keyed claim. Returns a record to complete when this call should claim, or null with
    /// <paramref name="earlier"/> set when the key already produced a reservation.
    /// </summary>
    public Record? Begin(string key, in ClaimRequest request, long nowTicks, long retentionTicks, out ClaimResult earlier)
    {
        var spinner = default(SpinWait);
        while (true)
        {
            var mine = new Record(request, nowTicks);
            var record = _records.GetOrAdd(key, mine);
            if (ReferenceEquals(record, mine))
            {
                earlier = default;
                return mine;
            }

            if (record.CreatedTicks + retentionTicks <= nowTicks)
            {
                _records.TryRemove(new KeyValuePair<string, Record>(key, record));
                continue;
            }

            if (!record.Matches(request))
            {
                throw new SlotEngineArgumentException(SlotEngineError.IdempotencyKeyReused, $"The idempotency key '{key}' was already used for another request ({record.Request.Calendar}, {record.Request.Slots}).", nameof(key));
            }

            switch (record.State)
            {
                case Record.Done:
                    earlier = record.Result;
                    return null;
                case Record.Failed:
                    _records.TryRemove(new KeyValuePair<string, Record>(key, record));
                    continue;
                default:
                    // The first request with this key is still claiming (in memory: a moment).
                    spinner.SpinOnce();
                    continue;
            }
        }
    }

    public void Complete(string key, Record record, in ClaimResult result)
    {
        if (result.Succeeded)
        {
            record.Result = result;
            Volatile.Write(ref record.StateField, Record.Done);
        }
        else
        {
            Volatile.Write(ref record.StateField, Record.Failed);
            _records.TryRemove(new KeyValuePair<string, Record>(key, record));
        }
    }

    public int Purge(long nowTicks, long retentionTicks)
    {
        var removed = 0;
        foreach (var pair in _records)
        {
            if (pair.Value.CreatedTicks + retentionTicks <= nowTicks && _records.TryRemove(pair))
            {
                removed++;
            }
        }

        return removed;
    }

    internal sealed class Record(ClaimRequest request, long createdTicks)
    {
        public const int Running = 0;
        public const int Done = 1;
        public const int Failed = 2;
#pragma warning disable SA1401, CA1051 // a field, so that Volatile can publish it
        public int StateField;
#pragma warning restore SA1401, CA1051

        public ClaimRequest Request { get; } = request;

        public long CreatedTicks { get; } = createdTicks;

        public ClaimResult Result { get; set; }

        public int State => Volatile.Read(ref StateField);

        public bool Matches(in ClaimRequest other) =>
            Request.Calendar == other.Calendar && Request.Slots == other.Slots && Request.Patient == other.Patient && Request.HoldFor == other.HoldFor;
    }
}
