using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
/// then writes the record into its cell (streamed past the caches and fenced, see Segment.Store) and publishes it with a release write of the cell's ready flag
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
    // 512 records of 64 bytes (Cell: an AuditRecord is 112) in a segment of 32 KiB on the pinned object heap: the
    // collector never copies a segment up the generations, and each cell starts on a 64-byte boundary, so an append
    // writes one cache line (not two straddled ones) and two cores appending neighbouring records never write one line.
    private const int SegmentShift = 9;
    private const int SegmentSize = 1 << SegmentShift;
    private const int CellSize = 64;
    private const int SegmentBytes = SegmentSize * CellSize;

    // Pre-linked segments of a large log are cut from pinned arenas of up to 2,048 segments (64 MiB, 1,048,576 records):
    // one arena is advised onto 2 MiB pages and touched page by page when the log is made (HugePages' remarks), so the
    // appends of the day take no page fault (measured: about 61,000 faults a day with one 32 KiB array per segment). An
    // arena's memory goes back only when every segment cut from it has been trimmed: trimming frees 64 MiB at a time.
    private const int ArenaSegments = 2048;

    private readonly bool _streams;
    private Segment _head;
    private Segment _tail;
    private long _next;

    /// <summary>Creates a log with segments for <paramref name="expectedRecords"/> linked up front (see <see cref="SlotEngineOptions.ExpectedAuditRecords"/>).</summary>
    /// <param name="expectedRecords">Records expected (0: one segment, then grow).</param>
    /// <param name="streams">Whether appends stream their cells past the caches where the processor can (see Segment.Store); false: ordinary writes (tests run both).</param>
    public AuditLog(int expectedRecords = 0, bool streams = true)
    {
        _streams = streams;
        var segments = (expectedRecords + SegmentSize - 1) / SegmentSize;
        if ((long)segments * SegmentBytes >= HugePages.MinBytes)
        {
            // A large log (the whole day's records, hundreds of megabytes) is cut from arenas on 2 MiB pages, touched here.
            _head = BuildFromArenas(segments);
            _tail = _head;
            return;
        }

        _head = new Segment(0);
        _tail = _head;
        var last = _head;
        while (last.Start + SegmentSize < expectedRecords)
        {
            last.Next = new Segment(last.Start + SegmentSize); // before the log is shared: no CAS needed
            last = last.Next;
        }
    }

    /// <summary>How many positions have been handed out (records appended or being appended).</summary>
    public long Count => Volatile.Read(ref _next);

    /// <summary>The first position still kept.</summary>
    public long FirstKept => Volatile.Read(ref _head).Start;

    /// <summary>Appends a record (its <see cref="AuditRecord.Position"/> is set here) and returns its position.</summary>
    public long Append(in AuditRecord record) => Append(
        record.Action,
        record.Calendar,
        record.Slots,
        record.Seat,
        record.Token,
        record.Patient,
        record.Booked,
        record.HoldExpiresAt?.UtcTicks ?? 0,
        record.Actor,
        record.Channel,
        record.At.UtcTicks,
        record.Outcome);

    /// <summary>
    /// Appends a record given by its fields (times in UTC ticks, 0 for no hold expiry), the claim path's form: the fields go
    /// straight into the cell, without an <see cref="AuditRecord"/> (112 bytes) built and copied first. Returns its position.
    /// </summary>
    public long Append(AuditAction action, CalendarKey calendar, SlotRange slots, int seat, long token, PatientKey patient, bool booked, long holdExpiryTicks, Actor actor, BookingChannel channel, long atTicks, AppointmentOutcome outcome = default)
    {
        // Each appender gets its own position (atomic +1); a reader may see Count past a record not yet
        // Ready, and stops there until the Volatile.Write below publishes it.
        var position = Interlocked.Increment(ref _next) - 1;
        var segment = SegmentFor(position);
        var index = (int)(position - segment.Start);
        var cell = default(Cell);
        cell.Write(action, calendar, slots, seat, token, patient, booked, holdExpiryTicks, actor, channel, atTicks, outcome);
        segment.Store(index, cell, _streams); // streamed past the caches, then fenced (Segment.Store)
        Volatile.Write(ref segment.ReadyAt(index), 1); // publishes the cell: readers that see 1 see the record
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
            if (Volatile.Read(ref segment.ReadyAt(index)) == 0)
            {
                return copied;
            }

            destination[copied++] = segment.CellAt(index).Read(from);
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

    private static Segment BuildFromArenas(int segments)
    {
        Segment? head = null;
        Segment? last = null;
        for (var made = 0; made < segments;)
        {
            var count = Math.Min(ArenaSegments, segments - made);

            // One cell more than the segments need, so that the first cell can start on a 64-byte boundary inside it.
            var arena = GC.AllocateArray<byte>((count * SegmentBytes) + CellSize, pinned: true);
            HugePages.Advise(arena, arena.Length); // before the first touch
            HugePages.Prefault(arena);
            var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(arena, 0);
            var aligned = (int)((CellSize - (address & (CellSize - 1))) & (CellSize - 1));
            for (var i = 0; i < count; i++, made++)
            {
                var segment = new Segment((long)made * SegmentSize, arena, aligned + (i * SegmentBytes));
                if (last is null)
                {
                    head = segment;
                }
                else
                {
                    last.Next = segment; // before the log is shared: no CAS needed
                }

                last = segment;
            }
        }

        return head!;
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

    private sealed class Segment
    {
        public readonly long Start;
        public Segment? Next;

        // The cells, in a pinned byte array one cell longer than needed: pinned, its address never changes, so the first
        // cell can start at the first 64-byte boundary inside it (_offset) and every cell fills exactly one cache line.
        // Allocated zeroed.
        // A segment of a large log shares one pinned arena with others (AuditLog.BuildFromArenas); _offset is then its place
        // in the arena, on a 64-byte boundary.
        private readonly byte[] _bytes;
        private readonly int _offset;

        // The cells' ready flags, one byte each, apart from the cells (see Store): 0 until the cell is written and fenced.
        private readonly byte[] _ready = new byte[SegmentSize];

        public Segment(long start)
        {
            Start = start;
            _bytes = GC.AllocateArray<byte>((SegmentSize + 1) * CellSize, pinned: true);
            var address = (long)Marshal.UnsafeAddrOfPinnedArrayElement(_bytes, 0);
            _offset = (int)((CellSize - (address & (CellSize - 1))) & (CellSize - 1));
        }

        /// <summary>A segment cut from <paramref name="arena"/> (pinned, zeroed) at <paramref name="offset"/> (a 64-byte boundary).</summary>
        public Segment(long start, byte[] arena, int offset)
        {
            Start = start;
            _bytes = arena;
            _offset = offset;
        }

        /// <summary>The cell of the record at <paramref name="index"/> in this segment (0 to 511; the array's bounds are checked, an arena's as a whole).</summary>
        public ref Cell CellAt(int index) => ref Unsafe.As<byte, Cell>(ref _bytes[_offset + (index * CellSize)]);

        /// <summary>The ready flag of the cell at <paramref name="index"/>: written 1 with a release write once the cell is stored (and fenced).</summary>
        public ref byte ReadyAt(int index) => ref _ready[index];

        /// <summary>
        /// Writes a cell with non-temporal stores where the processor has them (AVX: two aligned 32-byte streaming stores, then
        /// a store fence). An audit record is written once and not read again by the appender, so writing it through the
        /// caches only evicts the claim path's lines: a day's stream is hundreds of megabytes of lines never read back by the
        /// claims, which, written the ordinary way, each take a line of the shared L3 (and a read of the line from memory
        /// first). Streaming stores are weakly ordered: the fence makes the cell visible before the ready flag that the
        /// caller writes next (a reader that sees the flag sees the whole cell). Elsewhere an ordinary copy.
        /// </summary>
        /// <param name="index">The cell (0 to 511).</param>
        /// <param name="cell">The record as stored.</param>
        /// <param name="streams">False: an ordinary copy even where streaming stores exist.</param>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public unsafe void Store(int index, in Cell cell, bool streams)
        {
            ref var target = ref CellAt(index);
            if (System.Runtime.Intrinsics.X86.Avx.IsSupported && streams)
            {
                // The arena is pinned and the cell 64-byte aligned (see _offset): the address is stable and each store aligned.
                var address = (byte*)Unsafe.AsPointer(ref target);
                ref var source = ref Unsafe.As<Cell, System.Runtime.Intrinsics.Vector256<byte>>(ref Unsafe.AsRef(in cell));
                System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(address, source);
                System.Runtime.Intrinsics.X86.Avx.StoreAlignedNonTemporal(address + 32, Unsafe.Add(ref source, 1));
                System.Runtime.Intrinsics.X86.Sse.StoreFence();
            }
            else
            {
                target = cell;
            }
        }

        /// <summary>Whether the cell at <paramref name="index"/> starts on a 64-byte boundary (tests).</summary>
        public bool IsAligned(int index) => ((long)Marshal.UnsafeAddrOfPinnedArrayElement(_bytes, _offset + (index * CellSize)) & (CellSize - 1)) == 0;
    }

    /// <summary>Whether every cell of the first <paramref name="segments"/> segments starts on a 64-byte boundary (tests).</summary>
    internal bool CellsAligned(int segments = 1)
    {
        var segment = Volatile.Read(ref _head);
        for (var s = 0; s < segments && segment is not null; s++, segment = Volatile.Read(ref segment.Next))
        {
            for (var i = 0; i < SegmentSize; i++)
            {
                if (!segment.IsAligned(i))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// One record as stored: the fields of an <see cref="AuditRecord"/> packed into 64 bytes (its position is the cell's
    /// place; times are UTC ticks, 0 for no hold expiry). Its ready flag is kept apart (Segment.ReadyAt), so that the cell
    /// can be streamed whole.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = CellSize)]
    internal struct Cell
    {
        private long _token;
        private ulong _patient;
        private long _holdExpiryTicks;
        private long _atTicks;
        private int _provider;
        private int _dayNumber;
        private int _first;
        private int _length;
        private int _seat;
        private byte _action;
        private byte _actor;
        private byte _channel;
        private byte _outcome;
        private byte _booked;

        public void Write(AuditAction action, CalendarKey calendar, SlotRange slots, int seat, long token, PatientKey patient, bool booked, long holdExpiryTicks, Actor actor, BookingChannel channel, long atTicks, AppointmentOutcome outcome)
        {
            _token = token;
            _patient = patient.Value;
            _holdExpiryTicks = holdExpiryTicks;
            _atTicks = atTicks;
            _provider = calendar.Provider.Value;
            _dayNumber = calendar.Day.DayNumber;
            _first = slots.First;
            _length = slots.Length;
            _seat = seat;
            _action = (byte)action;
            _actor = (byte)actor;
            _channel = (byte)channel;
            _outcome = (byte)outcome;
            _booked = booked ? (byte)1 : (byte)0;
        }

        public readonly AuditRecord Read(long position) => new(
            position,
            (AuditAction)_action,
            new CalendarKey(new ProviderId(_provider), DateOnly.FromDayNumber(_dayNumber)),
            new SlotRange(_first, _length),
            _seat,
            _token,
            new PatientKey(_patient),
            _booked != 0,
            _holdExpiryTicks == 0 ? null : new DateTimeOffset(_holdExpiryTicks, TimeSpan.Zero),
            (Actor)_actor,
            (BookingChannel)_channel,
            new DateTimeOffset(_atTicks, TimeSpan.Zero))
        {
            Outcome = (AppointmentOutcome)_outcome,
        };
    }
}
