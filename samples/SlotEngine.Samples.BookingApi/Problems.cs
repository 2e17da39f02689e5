namespace SlotEngine.Samples.BookingApi;

/// <summary>
/// Errors as RFC 7807 problem details. Every problem carries a <c>code</c>; a refused claim also
/// carries its <c>claimStatus</c>. A national ID is never echoed back.
/// </summary>
internal static class Problems
{
    public static IResult MalformedNationalId(string reason) => Problem(
        StatusCodes.Status400BadRequest, "Malformed national ID", $"The national ID is not a valid T.C. Kimlik No: {reason}.", "MalformedNationalId");

    public static IResult MalformedReservationId(ReservationCodeError error) => Problem(
        StatusCodes.Status400BadRequest, "Malformed reservation id", $"The reservation id is not one this API issued ({error}).", "MalformedReservationId");

    public static IResult NotYourReservation() => Problem(
        StatusCodes.Status403Forbidden, "Not your reservation", "The reservation belongs to another patient.", "NotYourReservation");

    public static IResult BadQuery(string detail) => Problem(
        StatusCodes.Status400BadRequest, "Bad query", detail, "BadQuery");

    /// <summary>The engine refused the request as bad input: unknown things are 404, the rest 400.</summary>
    public static IResult BadInput(SlotEngineArgumentException ex) => Problem(
        ex.Code is SlotEngineError.UnknownProvider or SlotEngineError.UnknownClinic or SlotEngineError.UnknownFacility or SlotEngineError.DayNotPublished
            ? StatusCodes.Status404NotFound
            : StatusCodes.Status400BadRequest,
        "Request refused",
        ex.Message,
        ex.Code.ToString());

    /// <summary>
    /// The claim was refused (an expected outcome). Someone else's claim or a changed state is 409
    /// Conflict; a request the rules forbid (past, outside the window, over quota, too late) is 422.
    /// </summary>
    public static IResult Refused(ClaimStatus status)
    {
        var (code, title) = status switch
        {
            ClaimStatus.Taken => (StatusCodes.Status409Conflict, "The slot is taken"),
            ClaimStatus.Closed => (StatusCodes.Status409Conflict, "The slot is closed"),
            ClaimStatus.Stale => (StatusCodes.Status409Conflict, "The reservation no longer holds the slot"),
            ClaimStatus.HoldExpired => (StatusCodes.Status409Conflict, "The hold expired"),
            ClaimStatus.InPast => (StatusCodes.Status422UnprocessableEntity, "The slot is in the past"),
            ClaimStatus.OutsideBookingWindow => (StatusCodes.Status422UnprocessableEntity, "The day cannot be booked now"),
            ClaimStatus.QuotaExceeded => (StatusCodes.Status422UnprocessableEntity, "The patient has reached a quota"),
            ClaimStatus.CancelTooLate => (StatusCodes.Status422UnprocessableEntity, "Too late to cancel"),
            _ => (StatusCodes.Status409Conflict, "Refused"),
        };
        return TypedResults.Problem(
            statusCode: code,
            title: title,
            detail: $"The engine answered {status}.",
            extensions: new Dictionary<string, object?> { ["code"] = "ClaimRefused", ["claimStatus"] = status.ToString() });
    }

    private static IResult Problem(int status, string title, string detail, string code) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail, extensions: new Dictionary<string, object?> { ["code"] = code });
}

/// <summary>Turns the engine's bad-input exceptions into problem details for every endpoint of a group.</summary>
internal sealed class SlotEngineProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (SlotEngineArgumentException ex)
        {
            return Problems.BadInput(ex);
        }
    }
}
