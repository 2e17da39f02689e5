using System.Text.Json.Serialization;

namespace SlotEngine.Samples.BookingApi;

/// <summary>Builds the booking API: the engine through AddSlotEngine, the directory seeded, the endpoints mapped.</summary>
internal static class BookingApp
{
    /// <summary>Where the API listens unless <c>--urls</c> (or ASPNETCORE_URLS) says otherwise: loopback only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <param name="args">Command-line arguments, such as <c>--urls http://127.0.0.1:0</c>.</param>
    /// <param name="configureServices">Lets a test replace services (a fake <see cref="TimeProvider"/>, a log sink).</param>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddProblemDetails();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        // The engine: days bookable from today (as a family-medicine clinic allows), two weeks ahead;
        // expired holds swept every 30 seconds. A TimeProvider registered in the container (a test's
        // fake clock) is picked up by AddSlotEngine.
        builder.Services
            .AddSlotEngine(options =>
            {
                options.EarliestBookableDayOffset = 0;
                options.BookingHorizonDays = 14;
            })
            .AddExpiredHoldSweeper(sweeper => sweeper.Interval = TimeSpan.FromSeconds(30));

        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        var api = app.MapGroup("/api").AddEndpointFilter<SlotEngineProblemFilter>();
        api.MapSearch();
        api.MapAppointments();

        var engine = app.Services.GetRequiredService<ISlotEngine>();
        await SampleDirectory.SeedAsync(engine, app.Services.GetRequiredService<InMemorySlotEngine>().Today).ConfigureAwait(false);
        return app;
    }
}
