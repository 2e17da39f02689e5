namespace SlotEngine;

/// <summary>A wish as its citizen sees it.</summary>
/// <param name="Ticket">The wish.</param>
/// <param name="Request">What was asked.</param>
/// <param name="State">Where it stands.</param>
/// <param name="Position">While waiting, how many waiting wishes of its scope are served before it (0: next); otherwise 0.</param>
/// <param name="Offer">The slot held for the patient, when one was offered.</param>
/// <param name="LastRefusal">Why the last slot tried for it was not offered to its patient (quota, cap, bar…), or null.</param>
public sealed record WishView(WishTicket Ticket, WishRequest Request, WishState State, int Position, Reservation? Offer, ClaimStatus? LastRefusal);
