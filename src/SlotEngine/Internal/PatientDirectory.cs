using System.Collections.Concurrent;

namespace SlotEngine;

/// <summary>
/// Gives each patient key a dense 32-bit index, so that a claim cell can name its owner in 32 bits.
/// Lookups are lock-free; the index → key table is a list of fixed segments, each allocated once
/// (CAS) and never moved, so a reader never sees a torn or resized table.
/// </summary>
internal sealed class PatientDirectory
{
    private const int SegmentBits = 16;
    private const int SegmentSize = 1 << SegmentBits;
    private const int MaxSegments = 1 << 15;
    private readonly ConcurrentDictionary<ulong, uint> _indexByKey = new();
    private readonly ulong[]?[] _segments = new ulong[]?[MaxSegments];
    private int _next = -1;

    public int Count => _indexByKey.Count;

    public uint IndexOf(PatientKey patient)
    {
        if (_indexByKey.TryGetValue(patient.Value, out var index))
        {
            return index;
        }

        return _indexByKey.GetOrAdd(patient.Value, static (key, self) => self.Allocate(key), this);
    }

    /// <summary>
    /// The patient's index if the directory has one, without adding it (allocates nothing). A patient
    /// without an index owns no claim: every claim cell names its patient by an index given before.
    /// </summary>
    public bool TryFind(PatientKey patient, out uint index) => _indexByKey.TryGetValue(patient.Value, out index);

    public PatientKey KeyAt(uint index)
    {
        var segment = Volatile.Read(ref _segments[index >> SegmentBits]);
        return segment is null ? default : new PatientKey(Volatile.Read(ref segment[index & (SegmentSize - 1)]));
    }

    private uint Allocate(ulong key)
    {
        // A losing racer's index stays unused; the table entry is written before the dictionary
        // publishes the index, so KeyAt never sees an index without its key.
        var index = (uint)Interlocked.Increment(ref _next);
        var segmentIndex = (int)(index >> SegmentBits);
        if (segmentIndex >= MaxSegments)
        {
            throw new InvalidOperationException("The patient directory is full (2^31 patients).");
        }

        var segment = Volatile.Read(ref _segments[segmentIndex]);
        if (segment is null)
        {
            Interlocked.CompareExchange(ref _segments[segmentIndex], new ulong[SegmentSize], null);
            segment = Volatile.Read(ref _segments[segmentIndex])!;
        }

        Volatile.Write(ref segment[index & (SegmentSize - 1)], key);
        return index;
    }
}
