namespace SlotEngine.Samples.BookingApi;

/// <summary>POST /api/holds, POST /api/appointments/{id}/confirm, POST /api/appointments/{id}/cancel.</summary>
internal static partial class AppointmentEndpoints
{
    /// <summary>How long a hold lasts while the patient confirms.</summary>
    public static readonly TimeSpan HoldTime = TimeSpan.FromMinutes(5);

    public static RouteGroupBuilder MapAppointments(this RouteGroupBuilder api)
    {
        api.MapPost("/holds", HoldAsync);
        api.MapPost("/appointments/{reservationId}/confirm", ConfirmAsync);
        api.MapPost("/appointments/{reservationId}/cancel", CancelAsync);
        return api;
    }

    /// <summary>Holds a slot. An <c>Idempotency-Key</c> header makes a retry return the first hold.</summary>
    private static async Task<IResult> HoldAsync(
        HoldRequest request,
        ISlotEngine engine,
        PatientKeyHasher patients,
        ILogger<HoldRequest> logger,
        HttpRequest http,
        CancellationToken cancellationToken)
    {
        if (!NationalId.TryParse(request.NationalId, out var id, out var reason))
        {
            return Problems.MalformedNationalId(reason ?? "it is not valid");
        }

        var calendar = new CalendarKey(new ProviderId(request.Provider), request.Day);
        var idempotencyKey = http.Headers["Idempotency-Key"].FirstOrDefault();
        var claim = ClaimRequest.Hold(calendar, new SlotRange(request.Slot, request.Length), patients.KeyOf(id), HoldTime, idempotencyKey);
        var result = await engine.ClaimAsync(claim, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            return Problems.Refused(result.Status);
        }

        var response = ToResponse(engine, patients, result.Reservation);
        Held(logger, calendar, request.Slot, id);
        return TypedResults.Created($"/api/appointments/{response.ReservationId}", response);
    }

    private static async Task<IResult> ConfirmAsync(
        string reservationId,
        PatientRequest request,
        ISlotEngine engine,
        PatientKeyHasher patients,
        CancellationToken cancellationToken)
    {
        if (Authorize(reservationId, request, patients, out var reservation) is { } problem)
        {
            return problem;
        }

        var result = await engine.ConfirmAsync(reservation, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.Ok(ToResponse(engine, patients, result.Reservation)) : Problems.Refused(result.Status);
    }

    private static async Task<IResult> CancelAsync(
        string reservationId,
        PatientRequest request,
        ISlotEngine engine,
        PatientKeyHasher patients,
        CancellationToken cancellationToken)
    {
        if (Authorize(reservationId, request, patients, out var reservation) is { } problem)
        {
            return problem;
        }

        var result = await engine.CancelAsync(reservation, CancelActor.Patient, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? TypedResults.NoContent() : Problems.Refused(result.Status);
    }

    /// <summary>
    /// Reads the reservation id, a signed reservation code (<see cref="Reservation.ToCode(PatientKeyHasher)"/>):
    /// a client cannot change its token, seat, slots, calendar or patient, so what reaches the engine is
    /// what the engine issued. Then checks that the caller's national ID hashes to its patient.
    /// </summary>
    private static IResult? Authorize(string reservationId, PatientRequest request, PatientKeyHasher patients, out Reservation reservation)
    {
        reservation = default;
        if (!NationalId.TryParse(request.NationalId, out var id, out var reason))
        {
            return Problems.MalformedNationalId(reason ?? "it is not valid");
        }

        if (!Reservation.TryParseCode(reservationId, patients, out reservation, out var error))
        {
            return Problems.MalformedReservationId(error);
        }

        return patients.KeyOf(id) == reservation.Patient ? null : Problems.NotYourReservation();
    }

    private static AppointmentResponse ToResponse(ISlotEngine engine, PatientKeyHasher patients, in Reservation r)
    {
        var localStart = r.Calendar.Day.ToDateTime(SampleDirectory.Template.StartOf(r.Slots.First));
        var start = new DateTimeOffset(localStart, engine.Options.TimeZone.GetUtcOffset(localStart));
        return new AppointmentResponse(
            r.ToCode(patients),
            r.IsHold ? "held" : "booked",
            r.Calendar.Provider.Value,
            SampleDirectory.NameOf(r.Calendar.Provider) ?? "?",
            r.Calendar.Day,
            r.Slots.First,
            r.Slots.Length,
            start,
            r.HoldExpiresAt);
    }

    /// <summary>The national ID is logged through its ToString, which masks all but the last two digits.</summary>
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Held slot {Slot} on {Calendar} for patient {NationalId}")]
    private static partial void Held(ILogger logger, CalendarKey calendar, int slot, NationalId nationalId);
}
