namespace SlotEngine.Benchmarks.Rules;

/// <summary>
/// The country the rules' cost reports (<c>--rules-cost</c>, <c>--sweep-cost</c>, <c>--cap-refusal-cost</c>,
/// <c>--directory-width-cost</c>) run on: one facility in city 34, <c>clinics</c> clinics over 40 branches, providers
/// spread over the clinics in turn, each with the standard day published for the <c>days</c> days after today.
/// </summary>
internal static class CostReportCountry
{
    /// <summary>Registers the country in the engine's directory and publishes its days.</summary>
    /// <param name="engine">The engine.</param>
    /// <param name="providers">Providers, numbered from 1.</param>
    /// <param name="clinics">Clinics, numbered from 1.</param>
    /// <param name="today">The day before the first published one.</param>
    /// <param name="days">Days published per provider.</param>
    public static void Build(InMemorySlotEngine engine, int providers, int clinics, DateOnly today, int days)
    {
        engine.Directory.AddFacility(new FacilityId(1), new CityCode(34));
        for (var c = 0; c < clinics; c++)
        {
            engine.Directory.AddClinic(new ClinicId(c + 1), new FacilityId(1), new BranchId(1 + (c % 40)));
        }

        for (var p = 0; p < providers; p++)
        {
            engine.Directory.AddProvider(new ProviderId(p + 1), new ClinicId(1 + (p % clinics)));
            for (var d = 1; d <= days; d++)
            {
                engine.Publish(new ProviderId(p + 1), today.AddDays(d), DayTemplate.Standard);
            }
        }
    }
}

/// <summary>A clock that stands at one instant (the cost reports' engines: no hold expires while they measure).</summary>
/// <param name="now">The instant.</param>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
