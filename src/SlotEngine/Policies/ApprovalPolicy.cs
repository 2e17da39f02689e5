namespace SlotEngine;

/// <summary>
/// Approval of bookings made well ahead, as data. Immutable. The default, <see cref="None"/>, asks no approval;
/// <see cref="Mhrs"/> is the MHRS rule: a booking made at least 2 local days before its day must be approved by
/// 20:00 local the day before, or its slots are offered again.
/// </summary>
/// <remarks>
/// A direct booking (<see cref="ClaimRequest.HoldFor"/> null) whose day is at least <see cref="MinDaysAhead"/> local
/// days after the day it is made starts unapproved: it is kept as a hold that expires at the deadline, and its
/// reservation carries the deadline as <see cref="Reservation.HoldExpiresAt"/>: the local midnight that starts
/// its day minus <see cref="DeadlineBeforeDay"/>. <see cref="ISlotEngine.ApproveAsync"/> books it before then; after
/// the deadline its slots count as free (a claim that meets them takes them, as an expired hold) and approving
/// answers <see cref="ClaimStatus.ApprovalLapsed"/>. Nearer bookings count as approved. The deadline is judged by the
/// engine's clock (SlotEngine.Redis: Redis <c>TIME</c>). Holds confirmed later are not subject to approval.
/// </remarks>
public sealed class ApprovalPolicy
{
    /// <summary>No approval.</summary>
    public static ApprovalPolicy None { get; } = new(0, TimeSpan.Zero);

    /// <summary>MHRS: bookings 2 or more days ahead must be approved by 20:00 local the day before.</summary>
    public static ApprovalPolicy Mhrs { get; } = new(2, TimeSpan.FromHours(4));

    /// <summary>Creates a policy.</summary>
    /// <param name="minDaysAhead">How many local days ahead a booking must be made to need approval; 0 for no approval.</param>
    /// <param name="deadlineBeforeDay">How long before the local midnight that starts the booking's day it must be approved.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative or beyond 366 days.</exception>
    public ApprovalPolicy(int minDaysAhead, TimeSpan deadlineBeforeDay)
    {
        if (minDaysAhead is < 0 or > 366)
        {
            throw new ArgumentOutOfRangeException(nameof(minDaysAhead), minDaysAhead, "MinDaysAhead must be from 0 to 366.");
        }

        if (deadlineBeforeDay < TimeSpan.Zero || deadlineBeforeDay > TimeSpan.FromDays(366))
        {
            throw new ArgumentOutOfRangeException(nameof(deadlineBeforeDay), deadlineBeforeDay, "DeadlineBeforeDay must be from zero to 366 days.");
        }

        MinDaysAhead = minDaysAhead;
        DeadlineBeforeDay = deadlineBeforeDay;
    }

    /// <summary>How many local days ahead a booking must be made to need approval; 0 when approval is off.</summary>
    public int MinDaysAhead { get; }

    /// <summary>How long before the local midnight that starts the booking's day the approval deadline falls.</summary>
    public TimeSpan DeadlineBeforeDay { get; }

    /// <summary>Whether approval is on.</summary>
    public bool IsEnabled => MinDaysAhead > 0;
}
