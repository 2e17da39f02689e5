namespace SlotEngine;

/// <summary>Where a wish stands.</summary>
public enum WishState
{
    /// <summary>In the queue for its scope.</summary>
    Waiting = 0,

    /// <summary>A slot is held for the patient (<see cref="WishView.Offer"/>) until the offer window ends; confirm it to accept.</summary>
    Offered,

    /// <summary>The offer was confirmed: it is a booking.</summary>
    Accepted,

    /// <summary>The offer ended unconfirmed (expired or released); the wish is over and the slot went to the next wish.</summary>
    Lapsed,

    /// <summary>The citizen cancelled the wish.</summary>
    Cancelled,
}
