namespace SlotEngine.Samples.BookingApi;

/// <summary>Asks to hold <see cref="Length"/> consecutive slots of a doctor's day for a patient.</summary>
/// <param name="NationalId">The patient's T.C. Kimlik No, 11 digits. Sent in the body, never in the URL, so it does not reach access logs.</param>
/// <param name="Provider">The doctor (provider id).</param>
/// <param name="Day">The local day, yyyy-MM-dd.</param>
/// <param name="Slot">The first slot's index in the day (search results carry it).</param>
/// <param name="Length">How many consecutive slots; 1 by default.</param>
internal sealed record HoldRequest(string? NationalId, int Provider, DateOnly Day, int Slot, int Length = 1);

/// <summary>Confirms or cancels a reservation: the patient proves it is theirs with their national ID.</summary>
/// <param name="NationalId">The patient's T.C. Kimlik No.</param>
internal sealed record PatientRequest(string? NationalId);

/// <summary>A place where an appointment can start (a hint: the hold is the authority).</summary>
internal sealed record FreeStartResponse(int Provider, string Doctor, int Clinic, DateOnly Day, int Slot, int Length, DateTimeOffset Start);

/// <summary>A held or booked appointment.</summary>
/// <param name="ReservationId">Opaque; confirm and cancel take it.</param>
/// <param name="State"><c>held</c> or <c>booked</c>.</param>
internal sealed record AppointmentResponse(
    string ReservationId,
    string State,
    int Provider,
    string Doctor,
    DateOnly Day,
    int Slot,
    int Length,
    DateTimeOffset Start,
    DateTimeOffset? HoldExpiresAt);

/// <summary>A clinic of the directory.</summary>
internal sealed record ClinicResponse(int Id, string Branch, int BranchId, string Facility, int City, IReadOnlyList<DoctorResponse> Doctors);

/// <summary>A doctor of a clinic.</summary>
internal sealed record DoctorResponse(int Provider, string Name);
