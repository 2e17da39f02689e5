namespace SlotEngine;

/// <summary>
/// The in-memory audit stream: an append-only, lock-free segmented log of <see cref="AuditRecord"/>s.
/// </summary>
/// <remarks>
/// <para>Protocol. <see cref="_next"/> hands out positions: an appender takes position <c>p</c> with one
/// <c>Interlocked.Increment</c>, so every position belongs to exactly one appender and positions never
/// repeat. Position <c>p</c> lives in the segment that starts at <c>p - p % SegmentSize</c>. Segments form a
/// singly linked list; the appender that needs a segment not yet linked creates it and links it with one CAS
/// on the previous segment's <c>Next</c> (null → new); the loser of that race uses the winner's. The appender
/// then writes the record into its cell and publishes it with a release write of the cell's ready flag
/// (0 → 1). A cell is written once and never changes after its flag is set.</para>
/// <para>Readers read flags with acquire reads and stop at the first cell whose flag is still 0, so they never
/// skip a record: what they return is a prefix of the stream, in position order, and a later read from where
/// they stopped continues it. A reader may see records appended after others that were linearized earlier
/// (two transitions on different seats appended in the other order); records of one claim are always in
/// its order, because a claim's reservation is returned only after its record is appended.</para>
/// <para><see cref="TrimBefore"/> drops whole segments below a position (the host has read them) by moving
/// the head forward with a CAS; a reader asking for a trimmed position starts at the head.</para>
/// </remarks>
internal sealed class AuditLog
{
    // 512 records of about 100 bytes: a segment stays below the large-object heap's 85,000 bytes, so the
    // stream's growth is ordinary gen0 garbage that survives, not LOH allocations that bring full collections.
    private const int SegmentShift = 9;
    private const int SegmentSize = 1 << SegmentShift;

    private Segment _head = new(0);
    private Segment _tail;
    private long _next;

    public AuditLog() => _tail = _head;

    /// <summary>How many positions have been handed out (records appended or being appended).</summary>
    public long Count => Volatile.Read(ref _next);

    /// <summary>The first position still kept.</summary>
    public long FirstKept => Volatile.Read(ref _head).Start;

    /// <summary>Appends a record (its <see cref="AuditRecord.Position"/> is set here) and returns its position.</summary>
    public long Append(in AuditRecord record)
    {
        // Each appender gets its own position (atomic +1); a reader may see Count past a record not yet
        // Ready, and stops there until the Volatile.Write below publishes it.
        var position = Interlocked.Increment(ref _next) - 1;
        var segment = SegmentFor(position);
        var index = (int)(position - segment.Start);
        segment.Items[index] = record with { Position = position };
        Volatile.Write(ref segment.Ready[index], 1); // publishes the cell: readers that see 1 see the record
        return position;
    }

    /// <summary>Copies records from <paramref name="from"/> (or the first kept one) into <paramref name="destination"/>, stopping at the first not yet written.</summary>
    /// <returns>How many were copied.</returns>
    public int Read(long from, Span<AuditRecord> destination)
    {
        var segment = Volatile.Read(ref _head);
        if (from < segment.Start)
        {
            from = segment.Start;
        }

        var copied = 0;
        while (copied < destination.Length)
        {
            while (from >= segment.Start + SegmentSize)
            {
                var next = Volatile.Read(ref segment.Next);
                if (next is null)
                {
                    return copied;
                }

                segment = next;
            }

            var index = (int)(from - segment.Start);
            if (Volatile.Read(ref segment.Ready[index]) == 0)
            {
                return copied;
            }

            destination[copied++] = segment.Items[index];
            from++;
        }

        return copied;
    }

    /// <summary>Forgets whole segments that end at or before <paramref name="position"/>.</summary>
    public void TrimBefore(long position)
    {
        while (true)
        {
            var head = Volatile.Read(ref _head);
            var next = Volatile.Read(ref head.Next);
            if (next is null || head.Start + SegmentSize > position || next.Start > Volatile.Read(ref _tail).Start)
            {
                return;
            }

            // Moves the head one segment on; a racing trimmer that moved it first makes this CAS fail and retry.
            Interlocked.CompareExchange(ref _head, next, head);
        }
    }

    private Segment SegmentFor(long position)
    {
        var segment = Volatile.Read(ref _tail);
        if (position < segment.Start)
        {
            // An appender that took its position long ago (its segment is behind the tail hint): walk from the head.
            segment = Volatile.Read(ref _head);
            if (position < segment.Start)
            {
                return new Segment(position - (position % SegmentSize)); // trimmed already: the record is dropped
            }
        }

        while (position >= segment.Start + SegmentSize)
        {
            var next = Volatile.Read(ref segment.Next);
            if (next is null)
            {
                var created = new Segment(segment.Start + SegmentSize);
                // Links the next segment: exactly one appender's CAS from null succeeds; the others use its segment.
                next = Interlocked.CompareExchange(ref segment.Next, created, null) ?? created;
            }

            segment = next;
        }

        var tail = Volatile.Read(ref _tail);
        if (segment.Start > tail.Start)
        {
            Interlocked.CompareExchange(ref _tail, segment, tail); // a hint only: a lost race leaves an older, still valid tail
        }

        return segment;
    }

    private sealed class Segment(long start)
    {
        public readonly long Start = start;
        public readonly AuditRecord[] Items = new AuditRecord[SegmentSize];
        public readonly int[] Ready = new int[SegmentSize];
        public Segment? Next;
    }
}
