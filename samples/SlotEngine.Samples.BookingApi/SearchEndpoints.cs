namespace SlotEngine.Samples.BookingApi;

/// <summary>GET /api/clinics and GET /api/slots/earliest.</summary>
internal static class SearchEndpoints
{
    public static RouteGroupBuilder MapSearch(this RouteGroupBuilder api)
    {
        api.MapGet("/clinics", ListClinics);
        api.MapGet("/slots/earliest", FindEarliestAsync);
        return api;
    }

    private static ClinicResponse[] ListClinics() =>
        SampleDirectory.Clinics.Select(c => new ClinicResponse(
            c.Id.Value,
            c.BranchName,
            c.Branch.Value,
            SampleDirectory.Facilities.First(f => f.Id == c.Facility).Name,
            SampleDirectory.Facilities.First(f => f.Id == c.Facility).City.Value,
            [.. SampleDirectory.Doctors.Where(d => d.Clinic == c.Id).Select(d => new DoctorResponse(d.Id.Value, d.Name))])).ToArray();

    /// <summary>
    /// The earliest free starts by clinic (<c>?clinic=101</c>) or by city and branch
    /// (<c>?city=34&amp;branch=1</c>), from today (or <c>from</c>) over <c>days</c> days.
    /// </summary>
    private static async Task<IResult> FindEarliestAsync(
        ISlotEngine engine,
        InMemorySlotEngine clock,
        int? clinic,
        int? city,
        int? branch,
        DateOnly? from,
        int? days,
        int? length,
        int? count,
        CancellationToken cancellationToken)
    {
        var first = from ?? clock.Today;
        var last = first.AddDays(Math.Clamp(days ?? SampleDirectory.PublishedDays, 1, 31) - 1);
        EarliestQuery query;
        if (clinic is { } clinicId && city is null && branch is null)
        {
            query = EarliestQuery.ForClinic(new ClinicId(clinicId), first, last, length ?? 1, count ?? 5);
        }
        else if (clinic is null && city is { } cityCode && branch is { } branchId)
        {
            if (cityCode is < 1 or > 81)
            {
                return Problems.BadQuery("city must be a plate code from 1 to 81.");
            }

            query = EarliestQuery.ForCityBranch(new CityCode(cityCode), new BranchId(branchId), first, last, length ?? 1, count ?? 5);
        }
        else
        {
            return Problems.BadQuery("Give either clinic, or city and branch.");
        }

        var starts = await engine.FindEarliestAsync(query, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(starts.Select(s => new FreeStartResponse(
            s.Calendar.Provider.Value,
            SampleDirectory.NameOf(s.Calendar.Provider) ?? "?",
            engine.Directory.ClinicOf(s.Calendar.Provider).Value,
            s.Calendar.Day,
            s.Slots.First,
            s.Slots.Length,
            TimeZoneInfo.ConvertTime(s.Start, engine.Options.TimeZone))).ToArray());
    }
}
