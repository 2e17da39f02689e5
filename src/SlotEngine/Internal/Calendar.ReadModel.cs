using SlotEngine.Stores;

namespace SlotEngine;

internal sealed partial class Calendar
{
    /// <summary>
    /// This calendar's public view, one per calendar. Made once: the CAS publishes the first view made; a thread that
    /// loses it takes the winner's, so every caller sees the same object (a loser's allocation is dropped).
    /// </summary>
    internal ReadModelCalendar View
    {
        get
        {
            var extras = Extras;
            return Volatile.Read(ref extras.View) ?? Interlocked.CompareExchange(ref extras.View, new ReadModelCalendar(this), null) ?? extras.View!;
        }
    }

    /// <summary>
    /// Replaces this calendar's whole state with one read from a distributed store: free words, claim
    /// cells, hold expiries (per cell, read at the head), the store's version and last token. The
    /// calendar is a read model then: nothing claims on it but queries' lazy reclaims.
    /// </summary>
    /// <remarks>
    /// Written in three phases so that a concurrent reader never sees "free bit 1 with a claim cell":
    /// (1) bits that are 0 in the new state are cleared (a bit still 1 is free in old and new, its cell 0
    /// in both); (2) expiries and cells are written; (3) the words get their new value. Between (2) and
    /// (3) a slot going from claimed to free reads as "transition in progress", which a snapshot reads as
    /// held by nobody (readers do not wait).
    /// A query's lazy reclaim racing a load can leave the read model off until the next load: it is a hint.
    /// </remarks>
    internal void LoadReadModel(ReadOnlySpan<ulong> words, ReadOnlySpan<ulong> cells, ReadOnlySpan<long> holdExpiry, long version, long lastToken)
    {
        if (words.Length != FreeWordCount || cells.Length != CellCount || holdExpiry.Length != CellCount)
        {
            throw new ArgumentException($"{Key}: the read-model state does not match the calendar's shape.", nameof(words));
        }

        lock (ReadModelLock)
        {
            // The new state's holds lower the index's hold mark before any free bit is cleared (BranchDayIndex.LowerHoldMark).
            if (Volatile.Read(ref _index) is { } index)
            {
                for (var i = 0; i < CellCount; i++)
                {
                    if (ClaimCell.Kind(cells[i]) == ClaimCell.KindHeld && ClaimCell.IsHead(cells[i]))
                    {
                        index.LowerHoldMark(Provider.GroupMember, holdExpiry[i]);
                    }
                }
            }

            for (var i = 0; i < FreeWordCount; i++)
            {
                Interlocked.And(ref FreeWord(i), words[i]);
            }

            var liveHolds = 0;
            var earliest = long.MaxValue;
            for (var i = 0; i < CellCount; i++)
            {
                var cell = cells[i];
                if (ClaimCell.Kind(cell) == ClaimCell.KindHeld && ClaimCell.IsHead(cell))
                {
                    Volatile.Write(ref EnsureHoldExpiry()[i], holdExpiry[i]);
                    liveHolds++;
                    earliest = Math.Min(earliest, holdExpiry[i]);
                }

                PublishCell(i, cell);
            }

            for (var i = 0; i < FreeWordCount; i++)
            {
                Volatile.Write(ref FreeWord(i), words[i]);
            }

            Volatile.Write(ref _liveHolds, liveHolds);
            Volatile.Write(ref _earliestHoldExpiry, TicksToBound(earliest));
            Volatile.Read(ref _index)?.LowerHoldMark(Provider.GroupMember, earliest); // an index attached during the load (see BranchDayIndex.Join)
            if (lastToken > Volatile.Read(ref _lastToken))
            {
                Volatile.Write(ref _lastToken, (int)Math.Min(lastToken, ClaimCell.MaxToken));
            }

            Volatile.Write(ref _version, version);
            RefreshIndex(0, SlotCount);
        }
    }

    /// <summary>Sets the store's version of a calendar just opened as the store opened it (no claims): nothing else to lay in.</summary>
    internal void SetReplicaVersion(long version)
    {
        lock (ReadModelLock)
        {
            Volatile.Write(ref _version, version);
        }
    }

    /// <summary>
    /// Lays one claim the store made (version <paramref name="fromVersion"/> → <paramref name="toVersion"/>)
    /// into this read-model calendar, as a claim here would: bits cleared by CAS (all or none), cells written head
    /// last. False (nothing changed) when this read-model calendar is not at <paramref name="fromVersion"/> or the
    /// slots are not all free here: the caller reloads instead.
    /// </summary>
    internal bool ApplyReadModelClaim(long fromVersion, long toVersion, int seat, int first, int length, long token, uint patient, long holdExpiryTicks, bool awaitsApproval = false)
    {
        if (seat < 0 || seat >= Capacity || first < 0 || length < 1 || first + length > SlotCount || token > ClaimCell.MaxToken)
        {
            return false;
        }

        lock (ReadModelLock)
        {
            if (Volatile.Read(ref _version) != fromVersion)
            {
                return false;
            }

            // No lazy reclaim here (now = MinValue): a slot this read-model calendar still holds means it is off; reload.
            // A hold lowers the index's hold mark before its bits are cleared (BranchDayIndex.LowerHoldMark).
            if (holdExpiryTicks != 0)
            {
                Volatile.Read(ref _index)?.LowerHoldMark(Provider.GroupMember, holdExpiryTicks);
            }

            var sawClosed = false;
            if (!TryTakeBits(seat, first, length, long.MinValue, ref sawClosed))
            {
                return false;
            }

            if (token > Volatile.Read(ref _lastToken))
            {
                Volatile.Write(ref _lastToken, (int)token);
            }

            WriteClaim(seat, first, length, holdExpiryTicks == 0 ? ClaimCell.KindBooked : ClaimCell.KindHeld, token, patient, holdExpiryTicks, awaitsApproval && holdExpiryTicks != 0);
            Volatile.Write(ref _version, toVersion);
            return true;
        }
    }

    /// <summary>Lays one confirm the store made (held → booked) into this read-model calendar; false when it cannot (reload instead).</summary>
    internal bool ApplyReadModelConfirm(long fromVersion, long toVersion, int seat, int first, long token)
    {
        lock (ReadModelLock)
        {
            if (!TryReadModelHeldHead(fromVersion, seat, first, token, out var head))
            {
                return false;
            }

            // The store judged the expiry by its clock: no expiry check here (now = MinValue).
            // The store checked the patient too: the head's own patient is passed through.
            if (Confirm(seat, first, token, ClaimCell.Patient(head), long.MinValue) != ClaimStatus.Succeeded)
            {
                return false;
            }

            Volatile.Write(ref _version, toVersion);
            return true;
        }
    }

    /// <summary>
    /// The frame of an apply to one held claim (a confirm, an approval), under <see cref="ReadModelLock"/>: the head cell
    /// at (<paramref name="seat"/>, <paramref name="first"/>) when the place is in range, this calendar is at
    /// <paramref name="fromVersion"/> and the head is <paramref name="token"/>'s hold; false otherwise (the caller reloads).
    /// </summary>
    private bool TryReadModelHeldHead(long fromVersion, int seat, int first, long token, out ulong head)
    {
        head = 0;
        if (seat < 0 || seat >= Capacity || first < 0 || first >= SlotCount || Volatile.Read(ref _version) != fromVersion)
        {
            return false;
        }

        head = ReadCell(seat, first);
        return IsHeadOf(head, token) && ClaimCell.Kind(head) == ClaimCell.KindHeld;
    }

    /// <summary>Lays one release, cancel or reclaim the store made (cells cleared, then bits freed) into this read-model calendar; false when it cannot.</summary>
    internal bool ApplyReadModelRelease(long fromVersion, long toVersion, int seat, int first, long token)
    {
        if (seat < 0 || seat >= Capacity || first < 0 || first >= SlotCount)
        {
            return false;
        }

        lock (ReadModelLock)
        {
            if (Volatile.Read(ref _version) != fromVersion)
            {
                return false;
            }

            var head = CellIndex(seat, first);
            var cell = ReadCellAt(head);

            // Head CAS, claim → 0, as a release here: a query's lazy reclaim that won it leaves this read-model calendar off; reload.
            if (!IsHeadOf(cell, token) || !TryCasCell(head, cell, ClaimCell.None))
            {
                return false;
            }

            RemoveOwnedClaim(seat, first, cell, closeFrom: 0, closeTo: 0);
            Volatile.Write(ref _version, toVersion);
            return true;
        }
    }

    /// <summary>
    /// Lays one close the store made (a block's last step: the claims that touched the range were released before it, each a
    /// change of its own) into this read-model calendar: every free seat of [<paramref name="first"/>, +<paramref name="length"/>)
    /// closes. False, nothing changed, when it is not at <paramref name="fromVersion"/> or still holds a claim in the range (reload).
    /// </summary>
    internal bool ApplyReadModelClose(long fromVersion, long toVersion, int first, int length)
    {
        if (first < 0 || length < 1 || first + length > SlotCount)
        {
            return false;
        }

        lock (ReadModelLock)
        {
            if (Volatile.Read(ref _version) != fromVersion || HasClaimIn(first, first + length))
            {
                return false;
            }

            // No claim in the range (checked above, under the lock that serializes deltas): Block only closes free seats.
            Block(first, length, long.MinValue, []);
            Volatile.Write(ref _version, toVersion);
            return true;
        }
    }

    /// <summary>
    /// Lays one reopen the store made into this read-model calendar: the closed seats of the range that the template offers
    /// open, as <see cref="Reopen"/> does here (the store decided by the same template and claims). False when it is not at
    /// <paramref name="fromVersion"/> (reload).
    /// </summary>
    internal bool ApplyReadModelReopen(long fromVersion, long toVersion, int first, int length)
    {
        if (first < 0 || length < 1 || first + length > SlotCount)
        {
            return false;
        }

        lock (ReadModelLock)
        {
            if (Volatile.Read(ref _version) != fromVersion)
            {
                return false;
            }

            Reopen(first, length);
            Volatile.Write(ref _version, toVersion);
            return true;
        }
    }

    /// <summary>Whether a hold or booking covers a slot of [<paramref name="from"/>, <paramref name="to"/>) on any seat.</summary>
    private bool HasClaimIn(int from, int to)
    {
        for (var seat = 0; seat < Capacity; seat++)
        {
            for (var slot = from; slot < to; slot++)
            {
                if (ClaimCell.IsClaim(ReadCell(seat, slot)))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
