namespace SlotEngine;

/// <summary>An offer made to a waiting wish (see <see cref="WaitlistPolicy.OfferMade"/>).</summary>
/// <param name="Wish">The wish served.</param>
/// <param name="Patient">Its patient.</param>
/// <param name="Group">Its priority group.</param>
/// <param name="Reservation">The hold made for the patient; it expires at the end of the offer window. Confirm it to accept.</param>
/// <param name="Delay">From the moment the slot was freed (the freeing operation done) to the offer made, by <see cref="SlotEngineOptions.TimeProvider"/>'s timestamps.</param>
public readonly record struct WaitlistOffer(WishTicket Wish, PatientKey Patient, int Group, Reservation Reservation, TimeSpan Delay);
